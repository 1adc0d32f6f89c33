"""Publish: the run's build file, its atomic publication, and the operations database."""
