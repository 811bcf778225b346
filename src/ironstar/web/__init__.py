"""Starlette glue: SSE, streams, security, sessions, layout, assets, icons."""
