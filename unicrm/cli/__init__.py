"""The ``unicrm`` command: plugins, sandbox, export, migrate, verify, demo.

Each subcommand lives in its own module; this package only assembles the click group. The CLI
is core code: it reaches vendors only through :func:`unicrm.connect_async` and the
:mod:`unicrm.plugins` registries, never by importing a plugin.
"""

from __future__ import annotations

from unicrm.cli.app import cli, main

__all__ = ["cli", "main"]
