"""Console output shared by the subcommands: colour rules, JSON printing, error exits.

Colour follows ``NO_COLOR`` (https://no-color.org) and whether stdout is a terminal; progress
bars are shown only on a terminal. Every text that may hold a URL passes through
:func:`unicrm.transport.redact` before it is printed.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import click
from rich.console import Console

from unicrm.transport import redact

#: Exit codes used by every subcommand.
EXIT_OK = 0
EXIT_FAILED = 1  # the operation ran and found a problem (e.g. verify differences)
EXIT_USAGE = 2  # click's own code for bad usage
EXIT_CONFIG = 3  # bad URL, option, mapping or missing plugin/sandbox
EXIT_VENDOR = 4  # the CRM or the network failed
EXIT_INTERRUPTED = 130


def no_color() -> bool:
    """True when ``NO_COLOR`` is set to anything non-empty."""
    return bool(os.environ.get("NO_COLOR"))


def console(stderr: bool = False) -> Console:
    """A rich console honouring NO_COLOR; plain (no markup colours) when not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        file=stream,
        no_color=no_color(),
        highlight=False,
        soft_wrap=True,
    )


def is_tty() -> bool:
    """Whether stdout is an interactive terminal (progress bars only then)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (secrets redacted)."""
    click.echo(redact(json.dumps(data, indent=2, ensure_ascii=False, default=str)))


def fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    """Print ``unicrm: <message>`` on stderr (redacted) and exit with ``code``."""
    click.echo(f"unicrm: {redact(message)}", err=True)
    raise SystemExit(code)
