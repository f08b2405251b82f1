"""``unicrm sandbox bitrix24``: build, seed and describe an emulator from the CLI options."""

from __future__ import annotations

import os

from unicrm.emulation import Sandbox, SandboxOptions
from unicrm_bitrix24.emulator.app import Bitrix24Emulator


def make_sandbox(options: SandboxOptions) -> Sandbox:
    """An emulator seeded with ``options.seed`` leads, or a kept ``--db`` file reopened as is.

    The first banner line is the webhook base URL that vendor clients use unchanged.
    """
    reopened = (
        bool(options.db)
        and os.path.exists(options.db or "")
        and (os.path.getsize(options.db or "") > 0)
    )
    emulator = Bitrix24Emulator(
        db=options.db,
        limits=options.limits,
        latency_ms=options.latency_ms,
        faults=options.faults,
        random_seed=options.random_seed,
        webhook=options.webhook,
    )
    if not reopened and (options.seed > 0 or options.contacts):
        emulator.seed(options.seed, options.contacts)
    base = f"http://127.0.0.1:{options.port}{emulator.webhook_path}"
    leads = emulator.store.count("lead")
    contacts = emulator.store.count("contact")
    banner = (
        base,
        f"Bitrix24 emulator: {leads} leads, {contacts} contacts, limits={options.limits}, "
        f"latency={options.latency_ms:g} ms, faults={options.faults:g}"
        + (f", db={options.db}" if options.db else ", in memory"),
        f"unicrm URL: bitrix24+http://127.0.0.1:{options.port}{emulator.webhook_path}",
    )
    return Sandbox(emulator, banner)
