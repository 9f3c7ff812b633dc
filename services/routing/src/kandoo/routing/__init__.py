"""Kandoo routing service."""
