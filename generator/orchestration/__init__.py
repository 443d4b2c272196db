"""Orchestration, the one layer that knows planning and rendering: stores, executors, runs, batches, studio, cli."""
