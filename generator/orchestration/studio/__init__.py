"""``adgen studio``: a local web app where template authors edit, preview and render templates."""
