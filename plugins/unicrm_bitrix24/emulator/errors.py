"""Bitrix24 error answers: one exception carrying the HTTP status and the wire body.

Classic CRM methods fail with HTTP 400 and an *empty* ``error`` code; the platform uses
named codes. Every known one is a row in :data:`PLATFORM_ERRORS` (statuses and texts from the
docs' system error table, ``_includes/system-errors.md``; ``INVALID_CREDENTIALS`` is 401 as
clients report it for a bad webhook, see :mod:`switches`).
"""

from __future__ import annotations

from typing import Any

#: code -> (HTTP status, description)
PLATFORM_ERRORS: dict[str, tuple[int, str]] = {
    "ERROR_METHOD_NOT_FOUND": (404, "Method not found!"),
    "NO_AUTH_FOUND": (401, "Wrong authorization data"),
    "INVALID_CREDENTIALS": (401, "Invalid request credentials"),
    "expired_token": (401, "The access token provided has expired."),
    "invalid_token": (401, "Unable to get application by token"),
    "insufficient_scope": (
        403,
        "The request requires higher privileges than provided by the webhook token",
    ),
    "QUERY_LIMIT_EXCEEDED": (503, "Too many requests"),
    "OPERATION_TIME_LIMIT": (429, "Method is blocked due to operation time limit."),
    "ERROR_BATCH_METHOD_NOT_ALLOWED": (405, "Method is not allowed for batch usage"),
    "ERROR_BATCH_LENGTH_EXCEEDED": (400, "Max batch length exceeded"),
    "WRONG_ENCODING": (400, "Wrong request encoding"),
    "INTERNAL_SERVER_ERROR": (500, "Internal server error"),
    "NOT_FOUND": (400, "Not found."),
    "ERROR_NOT_FOUND": (400, "The entity is not found"),
    "ERROR_CORE": (400, "Core error"),
    "ERROR_UNEXPECTED_ANSWER": (500, "Server returned an unexpected response"),
    "OVERLOAD_LIMIT": (503, "REST API is blocked due to overload"),
    "ACCESS_DENIED": (403, "REST API is available only on commercial plans"),
    "INVALID_REQUEST": (400, "Https required"),
    "user_access_error": (403, "The user does not have access to the application"),
    "PORTAL_DELETED": (500, "Portal was deleted"),
    "ENTITY_TYPE_NOT_SUPPORTED": (400, "Entity type is not supported"),
}


class B24Error(Exception):
    """A refusal to answer with ``{"error", "error_description"}`` and an HTTP status."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, Any]:
        """The wire body: exactly the two keys."""
        return {"error": self.code, "error_description": self.description}


def platform(code: str, description: str | None = None) -> B24Error:
    """A named platform error from the table."""
    status, default = PLATFORM_ERRORS[code]
    return B24Error(status, code, description if description is not None else default)


def classic(description: str) -> B24Error:
    """A classic CRM method failure: HTTP 400, empty code."""
    return B24Error(400, "", description)


def invalid_id() -> B24Error:
    return classic("ID is not defined or invalid.")


def not_found() -> B24Error:
    return classic("Not found")


def fields_not_array(name: str = "fields") -> B24Error:
    return classic(f"Parameter '{name}' must be array.")
