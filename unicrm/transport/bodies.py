"""Reading and decoding vendor bodies without trusting them.

A server can send anything: a body of gigabytes (or a small gzip that inflates to gigabytes),
JSON nested thousands of levels deep (Python's parser then raises ``RecursionError``), bytes
that are not UTF-8, a body cut off in the middle, or ``NaN``/``1e999`` where a number was due.
Here all of that becomes :class:`~unicrm.errors.InvalidResponse` (or "not JSON" for the
decision tables) — never ``RecursionError``, ``UnicodeDecodeError``, ``MemoryError`` or a
``json.JSONDecodeError`` escaping to the caller.

The standard library parser is used on purpose (it is the fastest pure-stdlib choice and the
one every httpx user already has); what it lacks — a size bound, a depth failure that is an
ordinary error, finite numbers only — is added around it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx

from unicrm.errors import InvalidResponse

#: The most bytes (after content decoding) read from one response: far above any real vendor
#: page (a 50-command Bitrix24 batch of 50 full records is a few MB), far below what would
#: exhaust memory. A bigger body is refused while it streams in, before it is all held.
MAX_BODY_BYTES = 64 * 1024 * 1024


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]!r} is out of range")
    return value


def _decode(body: bytes) -> Any:
    return json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)


def json_problem(body: bytes) -> tuple[Any, str | None]:
    """``(value, None)`` for a JSON body, ``(None, reason)`` for anything else; never raises.

    The reason says in a few words what is wrong (``"not UTF-8"``, ``"nested too deeply"``,
    ``"not valid JSON (Expecting value: line 1 column 9 (char 8))"``).
    """
    try:
        return _decode(body), None
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except RecursionError:
        return None, "nested too deeply"
    except MemoryError:
        return None, "too large to decode"
    except ValueError as exc:  # json.JSONDecodeError, int digit limit, NaN, 1e999
        return None, f"not valid JSON ({str(exc)[:120]})"


def decode_json(
    body: bytes, *, vendor: str | None = None, status: int | None = None, what: str = "body"
) -> Any:
    """The JSON value of ``body``, or :class:`InvalidResponse` saying why it has none."""
    value, problem = json_problem(body)
    if problem is not None:
        raise InvalidResponse(
            f"{vendor or 'the server'} sent a {what} that is {problem}",
            vendor=vendor,
            status=status,
        )
    return value


async def read_body(
    response: httpx.Response, *, limit: int = MAX_BODY_BYTES, vendor: str | None = None
) -> bytes:
    """The whole (decoded) body of a streamed ``response``, refusing more than ``limit`` bytes.

    Closes the response either way. A ``Content-Length`` above the limit is refused before any
    byte is read; a body without one is counted as it arrives.
    """
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(vendor, response.status_code, limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(vendor, response.status_code, limit)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        await response.aclose()


async def receive(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    limit: int = MAX_BODY_BYTES,
    vendor: str | None = None,
) -> tuple[httpx.Response, bytes]:
    """Send ``request`` once and read its body within ``limit`` (the response comes back closed).

    For one-off exchanges outside :func:`unicrm.transport.send`, such as OAuth token grants.
    """
    response = await client.send(request, stream=True)
    return response, await read_body(response, limit=limit, vendor=vendor)


def _too_large(vendor: str | None, status: int, limit: int) -> InvalidResponse:
    return InvalidResponse(
        f"{vendor or 'the server'} sent a body of more than {limit:,} bytes; refused unread",
        vendor=vendor,
        status=status,
    )


__all__ = ["MAX_BODY_BYTES", "decode_json", "json_problem", "read_body", "receive"]
