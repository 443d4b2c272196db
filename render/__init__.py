"""Rendering: shot plans in, frames and encoded videos out. Depends on the plan types only."""
