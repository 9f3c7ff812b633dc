"""Kandoo reporting service."""
