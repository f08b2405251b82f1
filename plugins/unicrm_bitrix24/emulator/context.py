"""What a method handler gets (:class:`Call`) and gives back (:class:`Outcome`)."""

from __future__ import annotations

from typing import Any

import attrs

from unicrm_bitrix24.emulator.store import Store
from unicrm_bitrix24.emulator.switches import Switches


@attrs.frozen
class Call:
    """One method invocation: its parameters, who makes it, when (portal clock), and the
    emulator's answers to what the docs leave open."""

    store: Store
    params: dict[str, Any]
    user_id: int
    now: float
    switches: Switches = attrs.field(factory=Switches)


@attrs.frozen
class Outcome:
    """A method's result; ``total``/``next`` are hoisted to the envelope's top level."""

    result: Any
    total: int | None = None
    next: int | None = None
