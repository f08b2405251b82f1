"""Seeded fault injection shared by the emulators.

An emulator asks :meth:`FaultPicker.pick` once per request; the answer is ``None`` (serve the
request normally) or one of :data:`FAULT_KINDS`, which the emulator turns into the vendor's own
shape of that failure (a vendor rate-limit body, an HTML 502 page, an expired-token error...).
Connection-level faults are expressed with :meth:`EmulatorResponse.timeout` and
:meth:`EmulatorResponse.reset`.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Sequence

#: Every fault kind an emulator understands.
#:
#: * ``rate_limit`` - the vendor's rate-limit refusal (Bitrix24 503, amoCRM 429)
#: * ``server_error`` - a 5xx with a JSON or empty body
#: * ``html`` - a 5xx whose body is an HTML page (proxy / maintenance page)
#: * ``timeout`` - the server never answers (the client's read timeout fires)
#: * ``reset`` - the connection drops before a complete response
#: * ``expired_token`` - the vendor's "token expired" 401
FAULT_KINDS: tuple[str, ...] = (
    "rate_limit",
    "server_error",
    "html",
    "timeout",
    "reset",
    "expired_token",
)

#: Faults that can only hit a request before it takes effect. An emulator must apply
#: ``timeout`` and ``reset`` *before* running the request, so a client that retries a write
#: after one of these cannot create a duplicate unknowingly. (Real servers can fail after the
#: write too; the migration engine's origin markers cover that case separately.)
PRE_EFFECT_FAULTS = frozenset(FAULT_KINDS)


class FaultPicker:
    """Decides, deterministically from a seed, which requests fail and how.

    ``rate`` is the probability (0..1) that a request fails; ``kinds`` limits which faults are
    drawn (all of :data:`FAULT_KINDS` by default).
    """

    def __init__(
        self, rate: float = 0.0, kinds: Sequence[str] | None = None, seed: int = 0
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, got {rate!r}")
        chosen = tuple(kinds) if kinds is not None else FAULT_KINDS
        unknown = sorted(set(chosen) - set(FAULT_KINDS))
        if unknown:
            raise ValueError(
                f"unknown fault kinds {unknown}; known kinds: {', '.join(FAULT_KINDS)}"
            )
        if rate > 0 and not chosen:
            raise ValueError("a positive fault rate needs at least one fault kind")
        self.rate = rate
        self.kinds = chosen
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        #: how many of each kind were handed out (tests check that faults really happened)
        self.injected: Counter[str] = Counter()

    def pick(self) -> str | None:
        """Return the fault for the next request, or ``None`` to serve it normally."""
        if self.rate <= 0.0:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(self.kinds)
            self.injected[kind] += 1
            return kind

    def __repr__(self) -> str:
        return f"FaultPicker(rate={self.rate!r}, kinds={self.kinds!r})"
