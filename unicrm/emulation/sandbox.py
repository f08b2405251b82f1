"""What ``unicrm sandbox <vendor>`` passes to a vendor plugin, and what it gets back.

The CLI is core and never imports a plugin; each vendor plugin registers a
:class:`SandboxSpec` through the ``unicrm_register_sandboxes`` hook, and the CLI calls its
``create`` with the options the user gave.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from unicrm.emulation.messages import Emulator


@attrs.frozen
class SandboxOptions:
    """Switches common to every vendor sandbox (see ``unicrm sandbox --help``).

    ``limits`` is ``"vendor"`` (the vendor's real rate limits) or ``"off"``; ``latency_ms`` is
    added to every request; ``faults`` is the fraction of requests that fail (0..1);
    ``contacts`` is how many contacts the seeder adds (``None``: the vendor seeder's own
    share of ``seed``, about 0.75 per lead); ``deals``, ``companies``, ``notes`` and ``tasks``
    likewise (``None``: the seeder's share of ``seed`` — about one deal per lead, a company per
    two leads, and a few notes and tasks per hundred records; ``0``: none);
    ``db`` is a SQLite file to keep state in (``None``: in memory); ``webhook`` is Bitrix24's
    ``USER/CODE``; ``token`` is amoCRM's long-lived token. ``port`` is where it will listen.
    """

    port: int = 0
    seed: int = 0
    contacts: int | None = None
    deals: int | None = None
    companies: int | None = None
    notes: int | None = None
    tasks: int | None = None
    limits: str = "vendor"
    latency_ms: float = 0.0
    faults: float = 0.0
    db: str | None = None
    webhook: str | None = None
    token: str | None = None
    random_seed: int = 0


@attrs.frozen
class Sandbox:
    """A ready emulator plus the lines to print before serving it (first line: base URL)."""

    emulator: Emulator
    banner: tuple[str, ...]


@attrs.frozen
class SandboxSpec:
    """A vendor's sandbox as registered by its plugin."""

    name: str
    description: str
    create: Callable[[SandboxOptions], Sandbox]
