"""Shared leaves: errors, identity (canonical JSON, hashes, seeds), files and geometry; they import nothing of adgen above them."""
