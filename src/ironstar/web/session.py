"""Session middleware: every request gets a session before its response starts.

The cookie is HttpOnly and SameSite=Lax always, Secure outside dev; it is set on the page
response, so the page's SSE stream and commands arrive with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ironstar.infra.sessions import Session, SessionStore

COOKIE = "ironstar_session"


class SessionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: SessionStore,
        secure: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.store = store
        self.secure = secure
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/static/", "/healthz")):
            await self.app(scope, receive, send)
            return
        now = self.clock()
        secret = HTTPConnection(scope).cookies.get(COOKIE)
        existing = self.store.get(secret, now=now) if secret else None
        session = self.store.touch(existing, now=now) if existing else self.store.create(now=now)
        scope.setdefault("state", {})["session"] = session
        refresh = existing is None or session.expires_at != existing.expires_at

        async def send_with_cookie(message: Message) -> None:
            current: Session = scope["state"]["session"]  # a route may have rotated it
            if message["type"] == "http.response.start" and (refresh or current is not session):
                MutableHeaders(scope=message).append("set-cookie", self._cookie(current))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, session: Session) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[COOKIE] = session.id
        morsel = cookie[COOKIE]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        morsel["max-age"] = str(self.store.ttl)
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString()


def current_session(conn: HTTPConnection) -> Session:
    session: Session = conn.scope["state"]["session"]
    return session
