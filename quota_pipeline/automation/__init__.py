"""Automation: the nightly job, its schedule, and the sensors that keep the run log."""
