from tests.browser_support import app_server, browser, context, page, problems

__all__ = ["app_server", "browser", "context", "page", "problems"]
