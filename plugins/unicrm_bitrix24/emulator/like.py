# ruff: noqa: RUF002
"""SQL ``LIKE`` with the case folding of a portal's database, for SQLite.

SQLite's own ``LIKE`` folds ASCII letters only, so ``%TITLE`` with ``"САЙТА"`` would miss
"Заявка с сайта" that the portal finds (issue 10). :func:`unicode_like` is registered on the
store's connection as ``b24_like(pattern, value)``: ``%`` any run, ``_`` one character, ``\\``
escapes the next character (MySQL's default escape), letters compared case-insensitively in
all of Unicode. Written here because SQLite has no Unicode case folding without ICU.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

ESCAPE = "\\"


@lru_cache(maxsize=1024)
def like_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression equal to a LIKE ``pattern`` (whole-value match)."""
    parts: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == ESCAPE:
            escaped = next(chars, ESCAPE)
            parts.append(re.escape(escaped))
        elif ch == "%":
            parts.append(".*")
        elif ch == "_":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def unicode_like(pattern: Any, value: Any) -> int | None:
    """``value LIKE pattern`` folding case in all of Unicode (NULL when either is NULL)."""
    if pattern is None or value is None:
        return None
    return 1 if like_regex(str(pattern)).fullmatch(str(value)) else 0


def escape_like(text: str) -> str:
    """``text`` as a LIKE pattern that matches it literally."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


__all__ = ["ESCAPE", "escape_like", "like_regex", "unicode_like"]
