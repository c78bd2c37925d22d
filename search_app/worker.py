"""The gunicorn worker: request lines as long as the app's own limits allow, and the app's own error pages beyond."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.sync import SyncWorker
from werkzeug.exceptions import HTTPException, RequestHeaderFieldsTooLarge, RequestURITooLarge

from search_app.engine import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS
from search_app.params import MAX_FILTER_CHARS, MAX_TAGS

# The longest request line served. gunicorn's own cap (limit_request_line) stops at 8,190
# bytes, and a query of 1,000 kanji alone is 9,000 bytes once percent-encoded: the worker
# enforces this one instead (longest_search_target() must fit, a test checks).
REQUEST_LINE_LIMIT = 32 * 1024
# One header field: a Referer holds a whole search URL, plus the scheme and host.
HEADER_FIELD_LIMIT = REQUEST_LINE_LIMIT + 1024
# Enough of the request line to tell its method and where it was going.
_START_BYTES = 256
# 𠮷 is 4 bytes in UTF-8 and 12 percent-encoded: the most a character of a parameter can take.
_WIDEST_CHAR = "\U00020bb7"


def longest_search_target(path: str = "/api/search") -> str:
    """The path and query of the longest search the app accepts: every limit reached in the widest characters."""
    params = [
        ("q", _WIDEST_CHAR * MAX_QUERY_CHARS),
        ("category", _WIDEST_CHAR * MAX_FILTER_CHARS),
        *[("tag", _WIDEST_CHAR * MAX_FILTER_CHARS)] * MAX_TAGS,
        ("year", "2024"),
        ("date_from", "2024-01-01"),
        ("date_to", "2024-12-31"),
        ("sort", "relevance"),
        ("page", str(MAX_PAGE)),
        ("per_page", str(MAX_PER_PAGE)),
        ("facets", "false"),
    ]
    return f"{path}?{urlencode(params)}"


def too_long_message(exc: Exception) -> HTTPException:
    """The app's error for a request refused before it reached the app: 414 for the line, 431 for a header."""
    if isinstance(exc, LimitRequestLine):
        return RequestURITooLarge(
            description=f"URL が長すぎます（{REQUEST_LINE_LIMIT:,} バイトまで）。検索語や絞り込みを減らしてください。"
        )
    return RequestHeaderFieldsTooLarge(
        description=f"リクエストのヘッダーが大きすぎます（1 項目 {HEADER_FIELD_LIMIT:,} バイトまで）。"
    )


class CappedSocket:
    """A client socket that refuses a request line over `limit` bytes, keeping the line's start for the answer."""

    def __init__(self, sock: socket.socket, limit: int = REQUEST_LINE_LIMIT) -> None:
        self._sock = sock
        self._limit = limit
        self._line = bytearray()
        self._line_read = False
        self.start = b""

    def recv(self, size: int, *flags: int) -> bytes:
        """socket.recv, measuring the request line as it arrives."""
        data = self._sock.recv(size, *flags)
        if not self._line_read:
            self._measure(data)
        return data

    def _measure(self, data: bytes) -> None:
        self._line += data
        self.start = bytes(self._line[:_START_BYTES])
        # RFC 9112 section 2.2: one empty line may come before the request line.
        skip = 2 if self._line[:2] == b"\r\n" else 0
        end = self._line.find(b"\r\n", skip)
        length = (end if end >= 0 else len(self._line)) - skip
        if length > self._limit:
            self._line_read = True
            raise LimitRequestLine(length, self._limit)
        if end >= 0 or not data:
            self._line_read = True
            self._line = bytearray()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class SearchWorker(SyncWorker):
    """gunicorn's sync worker with the app's own request-line cap, and its JSON or HTML errors for what it refuses.

    gunicorn answers a request it will not parse with an HTML page of its own (English,
    text/html, even under /api/); these answers come from the app's error handlers instead.
    """

    def handle(self, listener: socket.socket, client: socket.socket, addr: Any) -> None:
        super().handle(listener, CappedSocket(client), addr)  # type: ignore[arg-type]

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if not (
            req is None
            and isinstance(exc, (LimitRequestLine, LimitRequestHeaders))
            and isinstance(client, CappedSocket)
            and isinstance(self.wsgi, Flask)
        ):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Refused request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(app_error_response(self.wsgi, client.start, too_long_message(exc)))
        except OSError:
            self.log.debug("Failed to send error message.")


def app_error_response(app: Flask, start: bytes, error: HTTPException) -> bytes:
    """The app's answer to `error` for the request that begins with `start`, as bytes on the wire (then closed)."""
    method, path = _method_and_path(start)
    with app.test_request_context(path, method=method):
        response = app.process_response(app.make_response(app.handle_http_exception(error)))
    body = b"" if method == "HEAD" else response.get_data()
    lines = [f"HTTP/1.1 {response.status}"]
    lines += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in ("content-length", "connection")]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _method_and_path(start: bytes) -> tuple[str, str]:
    """The method and path of a request line's start (which may be cut anywhere): enough to pick JSON or HTML."""
    parts = start.lstrip(b"\r\n").decode("latin-1").split(" ", 2)
    method = parts[0] if parts[0].isalpha() and parts[0].isupper() else "GET"
    target = parts[1] if len(parts) > 1 else "/"
    # The absolute form (GET http://host/api/search?... HTTP/1.1) names a path too.
    path = urlsplit(target).path if not target.startswith("/") else target.split("?", 1)[0]
    return method, path if path.startswith("/") else "/"
