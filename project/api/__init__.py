"""Plumbing shared by every app's API."""
