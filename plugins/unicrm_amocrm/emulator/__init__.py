"""A faithful emulator of amoCRM/Kommo API v4, written from the vendor documentation and the
official PHP library (``tests/plugins/unicrm_amocrm/conformance`` quotes the sentence behind each
rule), independently of the adapter and of the core query code.

``AmoCRMEmulator`` answers ``EmulatorRequest``s from SQLite state (in memory, or ``db=`` a file);
``unicrm.emulation`` serves it in-process (``EmulatorTransport``) or over HTTP (``serve``,
``ServerThread``). Switches: ``limits="vendor"|"off"`` (7 req/s per integration, 50 per
account, 429 then a 403 block), ``latency_ms``, ``faults`` (rate of injected 429s, 5xx JSON and
HTML pages, timeouts, dropped connections, expired tokens; ``set_faults`` picks kinds),
``unpaid`` (every API call answers 402), ``rules`` (:class:`OpenRules`: one switch per rule the
docs leave open: missing-id status, ``limit`` over 250, the custom field page cap, repeated
filter keys, the default stage, 429 and 403 bodies, ``Retry-After``, the textarea cap), a
``clock`` tests can move, and ``seed(n)`` for a deterministic account.
"""

from __future__ import annotations

from unicrm_amocrm.emulator.app import AmoCRMEmulator
from unicrm_amocrm.emulator.rules import OpenRules
from unicrm_amocrm.emulator.sandbox import make_sandbox

__all__ = ["AmoCRMEmulator", "OpenRules", "make_sandbox"]
