"""amoCRM's error bodies (vendor notes §7.1): ``application/problem+json`` with
``title``/``type``/``status``/``detail``, and ``validation-errors`` grouped by ``request_id``."""

from __future__ import annotations

from typing import Any

from unicrm.emulation import EmulatorResponse

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


def problem(status: int, detail: str, **extra: Any) -> EmulatorResponse:
    body = {
        "title": TITLES.get(status, "Error"),
        "type": f"https://httpstatus.es/{status}",
        "status": status,
        "detail": detail,
        **extra,
    }
    return EmulatorResponse.json(status, body, content_type=PROBLEM)


class Invalid(Exception):
    """A request that fails validation: per ``request_id``, a list of (code, path, detail)."""

    def __init__(self, errors: dict[str, list[tuple[str, str, str]]]) -> None:
        super().__init__("validation failed")
        self.errors = errors

    def response(self) -> EmulatorResponse:
        blocks = [
            {
                "request_id": request_id,
                "errors": [{"code": c, "path": p, "detail": d} for c, p, d in errors],
            }
            for request_id, errors in self.errors.items()
        ]
        return problem(400, "Request validation failed", **{"validation-errors": blocks})


class Problem(Exception):
    """Any other error answer, raised from deep inside a handler."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail

    def response(self) -> EmulatorResponse:
        return problem(self.status, self.detail)


NOT_VALID_CHOICE = ("NotSupportedChoice", "The value you selected is not a valid choice.")
NOT_EXPECTED = ("FieldNotExpected", "This field was not expected.")
INVALID_TYPE = ("InvalidType", "This value should be of type {}.")
TOO_LONG = ("TooLong", "This value is too long. It should have 256 characters or less.")

BLOCK_PAGE = (
    "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1>"
    "</center><hr><center>nginx</center></body></html>"
)
GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>nginx</center></body></html>"
)


def too_many_requests(body: str, retry_after: int | None) -> EmulatorResponse:
    """A 429: problem+json or plain text (``OpenRules.rate_limit_body``), with an optional
    ``Retry-After`` header (``OpenRules.retry_after``)."""
    extra = (("retry-after", str(retry_after)),) if retry_after is not None else ()
    if body == "text":
        headers = (("content-type", "text/plain; charset=utf-8"), *extra)
        return EmulatorResponse(429, b"Too Many Requests", headers)
    answer = problem(429, "Too many requests")
    return EmulatorResponse(answer.status, answer.body, (*answer.headers, *extra))


def blocked(body: str) -> EmulatorResponse:
    """The 403 every request of a blocked account gets (``OpenRules.block_body``)."""
    return EmulatorResponse.html(403, BLOCK_PAGE) if body == "html" else EmulatorResponse.empty(403)


def fault(kind: str, rate_limit_body: str = "problem") -> EmulatorResponse:
    """An injected fault in amoCRM's own shape."""
    if kind == "rate_limit":
        return too_many_requests(rate_limit_body, None)
    if kind == "server_error":
        return problem(500, "An unknown error occurred.")
    if kind == "html":
        return EmulatorResponse.html(502, GATEWAY_PAGE)
    if kind == "timeout":
        return EmulatorResponse.timeout()
    return EmulatorResponse.reset()
