"""ASGI middleware: cross-origin command protection, body limits and security headers.

Pure ASGI (not BaseHTTPMiddleware) so long-lived SSE responses stream untouched.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Datastar evaluates `data-*` expressions with Function(), hence 'unsafe-eval'; no inline
# scripts and no third-party origins are needed, so everything else stays 'self'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
]


class BodyTooLargeError(Exception):
    pass


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, trusted_origins: Iterable[str] = ()):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.trusted_origins = frozenset(o.rstrip("/") for o in trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] in UNSAFE_METHODS and self._cross_origin(scope, headers):
            await _plain(403, "cross-origin request refused")(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _plain(413, "request body too large")(scope, receive, send)
            return
        await self._call_limited(scope, receive, _with_headers(send))

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await _plain(413, "request body too large")(scope, receive, send)

    def _cross_origin(self, scope: Scope, headers: Headers) -> bool:
        """Go's CrossOriginProtection: trust Sec-Fetch-Site, else compare Origin with Host."""
        site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        if origin and origin.rstrip("/") in self.trusted_origins:
            return False
        if site is not None:
            return site not in {"same-origin", "none"}
        if origin is None:
            return False  # not a browser: no ambient cookies to abuse
        host = headers.get("host", "")
        return origin.split("://", 1)[-1].rstrip("/") != host


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            existing = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in SECURITY_HEADERS if k not in existing]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _plain(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status)
