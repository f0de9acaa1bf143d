"""The client's address as rate limits and throttles should see it."""

from __future__ import annotations

from starlette.requests import Request


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    """The peer's address; behind a trusted reverse proxy, the last hop of X-Forwarded-For (the one
    the proxy appended: what the client put before it is not to be believed)."""
    host = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and host in trusted_proxies:
        return forwarded.split(",")[-1].strip() or host
    return host
