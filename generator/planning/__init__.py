"""Planning: catalogs, assets, templates, text fitting, plans and lint. Never imports the compositor, the encoder, backends, torch or diffusers."""
