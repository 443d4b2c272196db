"""The shot plan: the typed contract between planning and rendering.

``types`` holds the plan's frozen models; ``effects`` (easing, entrances and exits), ``camera``
(camera moves) and ``transitions`` the effects a plan names, each a frozen type with its own
``apply``; ``timeline`` where each layer is at each frame, and the settled frame; ``compile``
builds a plan from a template and a product. Rendering imports all but ``compile``, which reaches
into templates and catalogs.
"""
