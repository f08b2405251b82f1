"""What a method handler gets (:class:`Call`) and gives back (:class:`Outcome`)."""

from __future__ import annotations

from typing import Any

import attrs

from unicrm_bitrix24.emulator.store import Store


@attrs.frozen
class Call:
    """One method invocation: its parameters, who makes it, and when (portal clock)."""

    store: Store
    params: dict[str, Any]
    user_id: int
    now: float


@attrs.frozen
class Outcome:
    """A method's result; ``total``/``next`` are hoisted to the envelope's top level."""

    result: Any
    total: int | None = None
    next: int | None = None
