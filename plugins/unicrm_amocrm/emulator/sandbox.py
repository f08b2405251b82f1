"""``unicrm sandbox amocrm``: an emulator built from the CLI's switches, and its banner."""

from __future__ import annotations

import os

from unicrm.emulation import Sandbox, SandboxOptions
from unicrm_amocrm.emulator.app import AmoCRMEmulator


def make_sandbox(options: SandboxOptions) -> Sandbox:
    """Build (and seed) the emulator; the banner is the base URL, then ``token <TOKEN>``.

    With ``db`` naming an existing file the account is reopened as it was, not reseeded.
    """
    existed = bool(options.db) and os.path.exists(options.db or "")
    emulator = AmoCRMEmulator(
        db=options.db,
        limits=options.limits,
        latency_ms=options.latency_ms,
        faults=options.faults,
        random_seed=options.random_seed,
        token=options.token,
    )
    if not existed:
        emulator.seed(options.seed, options.contacts)
    banner = (f"http://127.0.0.1:{options.port}", f"token {emulator.long_lived_token}")
    return Sandbox(emulator, banner)
