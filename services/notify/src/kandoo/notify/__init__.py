"""Kandoo notify service."""
