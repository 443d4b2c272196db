"""Batch specs run incrementally: the index, run records, webhooks, leases and the cron scheduler."""
