"""Switches for what the vendor documentation leaves open.

Each field is one rule that neither ``bitrix-tools/b24-rest-docs`` nor ``bitrix24/b24restdocs``
settles. The default is what the vendor notes (``shared/vendors/bitrix24.md``) report as
observed, or the reading of the docs that is closest; the other value is the other plausible
behaviour, so a test can show that the adapter gives the same answer either way. The list, with
sources, is ``docs/vendors/bitrix24-conformance.md`` ("Open rules").
"""

from __future__ import annotations

import attrs
from attrs import validators

#: ``start`` past the last page of a classic list: the notes report that Bitrix navigation
#: falls back to the first page; the docs say nothing.
START_PAST_END = ("first_page", "empty")
#: How ``%``/``=%``/``%=`` (LIKE) compare case. Issue 10 reports the portal's database folding
#: case for Cyrillic as for Latin; the docs say nothing. ``ascii`` is SQLite's own LIKE.
LIKE_CASE = ("unicode", "ascii")
#: ``%`` and ``_`` inside the value of a ``%`` (substring) filter: the docs say only that the
#: caller need not add ``%``; the notes report the server escaping both (``literal``).
LIKE_WILDCARDS = ("literal", "wildcards")
#: Filters on PHONE/EMAIL/WEB/IM/LINK: the docs say they "work only on exact match"
#: (``exact``); the notes report a LIKE underneath where ``%`` may act as a wildcard.
MULTIFIELD_FILTER = ("exact", "like")
#: The error for a webhook code that does not exist: the docs' error table describes
#: ``NO_AUTH_FOUND`` as a wrong access token or webhook code; b24pysdk reports
#: ``INVALID_CREDENTIALS`` for it.
BAD_WEBHOOK = ("NO_AUTH_FOUND", "INVALID_CREDENTIALS")


@attrs.define
class Switches:
    """The emulator's answers to the questions the docs leave open (see the module)."""

    start_past_end: str = attrs.field(
        default="first_page", validator=validators.in_(START_PAST_END)
    )
    like_case: str = attrs.field(default="unicode", validator=validators.in_(LIKE_CASE))
    like_wildcards: str = attrs.field(default="literal", validator=validators.in_(LIKE_WILDCARDS))
    multifield_filter: str = attrs.field(
        default="exact", validator=validators.in_(MULTIFIELD_FILTER)
    )
    bad_webhook: str = attrs.field(default="NO_AUTH_FOUND", validator=validators.in_(BAD_WEBHOOK))


__all__ = [
    "BAD_WEBHOOK",
    "LIKE_CASE",
    "LIKE_WILDCARDS",
    "MULTIFIELD_FILTER",
    "START_PAST_END",
    "Switches",
]
