"""A faithful local emulator of the Bitrix24 REST API (CRM part) for unicrm.

Written from the vendor notes (``shared/vendors/bitrix24.md``), independently of the
adapter: webhook and OAuth routes, PHP bracket parameters, classic list semantics, ``batch``,
wire quirks, vendor errors, the leaky bucket and operating-time limits, fault injection, a
deterministic seeder, and SQLite state (in memory or in a file).
"""

from __future__ import annotations

from unicrm_bitrix24.emulator.app import Bitrix24Emulator
from unicrm_bitrix24.emulator.sandbox import make_sandbox

__all__ = ["Bitrix24Emulator", "make_sandbox"]
