"""The ``Executor`` swap point: rows rendered in this process, in worker processes, or on Ray."""
