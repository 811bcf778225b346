"""Framework pages: health, not-found and error pages rendered in the layout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from htpy import Element, a, h1, p, section
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ironstar.web.layout import Layout
from ironstar.web.sse import from_datastar

REASONS = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    413: "Request too large",
}


def error_page(layout: Layout, *, status: int, detail: str, path: str) -> Element:
    return layout.page(
        page_title=REASONS.get(status, "Error"),
        current_path=path,
        content=section(".card.error-page")[
            h1[REASONS.get(status, "Something went wrong")],
            p[detail],
            p[a(href="/")["Back to the examples"]],
        ],
    )


def http_error_handler(layout: Layout) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if exc.status_code != 404 else f"Nothing lives at {request.url.path}."
        # Datastar accepts text/html too, and would patch an error page into the page.
        wants_page = "text/html" in request.headers.get("accept", "")
        if not wants_page or request.method != "GET" or from_datastar(request):
            return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)
        page = error_page(layout, status=exc.status_code, detail=detail, path=request.url.path)
        return HTMLResponse(str(page), status_code=exc.status_code, headers=exc.headers)

    return handle
