"""The ``Store`` swap point (a folder, S3), keyframes kept in a store, and fetching remote files."""
