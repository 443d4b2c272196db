"""Orchestration: runs, executors, stores, fetching and the command line; the only layer that knows planning and rendering both."""
