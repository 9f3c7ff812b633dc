"""Kandoo's web pages: citizens report, track, see the map and the figures; staff work."""
