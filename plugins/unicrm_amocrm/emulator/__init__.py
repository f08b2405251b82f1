"""A faithful emulator of amoCRM/Kommo API v4, written from the vendor notes
(``shared/vendors/amocrm.md``), independently of the adapter and of the core query code.

``AmoCRMEmulator`` answers ``EmulatorRequest``s from SQLite state (in memory, or ``db=`` a file);
``unicrm.emulation`` serves it in-process (``EmulatorTransport``) or over HTTP (``serve``,
``ServerThread``). Switches: ``limits="vendor"|"off"`` (7 req/s per integration, 50 per
account, 429 then a 403 HTML block), ``latency_ms``, ``faults`` (rate of injected 429s, 5xx
JSON and HTML pages, timeouts, dropped connections, expired tokens; ``set_faults`` picks kinds),
``missing_id_status`` (204 as documented, or 404), ``textarea_limit`` (text fields are capped
at 256 characters; whether textarea fields are is unverified: None, the default, means no
cap), a ``clock`` tests can move, and ``seed(n)`` for a deterministic account.
"""

from __future__ import annotations

from unicrm_amocrm.emulator.app import AmoCRMEmulator
from unicrm_amocrm.emulator.sandbox import make_sandbox

__all__ = ["AmoCRMEmulator", "make_sandbox"]
