"""Helpers for testing ops: hypothesis strategies (``strategies``)."""
