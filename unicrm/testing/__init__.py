"""Compliance suite."""
