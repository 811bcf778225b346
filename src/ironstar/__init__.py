"""Ironstar: reactive, event-sourced, hypermedia web applications with Python and Datastar."""

__version__ = "0.1.0"
