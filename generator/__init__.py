"""adgen's planning half: catalogs, templates, shot plans, storage, batches and the CLI.

Nothing here imports torch: planning a large catalog never loads a model.
"""
