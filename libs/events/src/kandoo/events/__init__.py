"""The event contract of Kandoo: envelope, events, commands and the pure complaint lifecycle.

Nothing here performs I/O against Kafka, MongoDB or HTTP; every service builds on it.
"""
