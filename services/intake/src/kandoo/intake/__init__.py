"""Kandoo intake service."""
