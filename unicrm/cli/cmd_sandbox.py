"""``unicrm sandbox <vendor>``: serve a vendor emulator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import sys

import click

from unicrm.cli.output import EXIT_CONFIG, fail
from unicrm.cli.params import FRACTION, MILLISECONDS, PORT, NewFile, NonEmpty, Webhook
from unicrm.emulation import SandboxOptions, SandboxSpec, free_port, serve
from unicrm.plugins import sandboxes


def check_port_free(port: int, host: str = "127.0.0.1") -> None:
    """Exit with a clear line (before any banner is printed) when ``port`` cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_CONFIG)


def find_sandbox(name: str) -> SandboxSpec:
    """The registered sandbox called ``name``; exits with a clear message when missing."""
    found = {s.name: s for s in sandboxes()}
    if name not in found:
        known = ", ".join(sorted(found)) or "none (no plugin registers a sandbox)"
        fail(f"no sandbox named {name!r}; available: {known}", EXIT_CONFIG)
    return found[name]


@click.command("sandbox")
@click.argument("vendor")
@click.option("--port", type=PORT, default=0, show_default=True, help="Port (0: a free one).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Leads to seed.")
@click.option(
    "--contacts",
    type=click.IntRange(0),
    default=None,
    help="Contacts to seed (default: the vendor seeder's share, about 0.75 per lead).",
)
@click.option(
    "--deals",
    type=click.IntRange(0),
    default=None,
    help="Deals to seed (default: the vendor seeder's share, about one per lead).",
)
@click.option(
    "--companies",
    type=click.IntRange(0),
    default=None,
    help="Companies to seed (default: the vendor seeder's share, about one per two leads).",
)
@click.option(
    "--notes",
    type=click.IntRange(0),
    default=None,
    help="Notes to seed (default: the vendor seeder's share of the records).",
)
@click.option(
    "--tasks",
    type=click.IntRange(0),
    default=None,
    help="Tasks to seed (default: the vendor seeder's share of the records).",
)
@click.option(
    "--limits",
    type=click.Choice(["vendor", "off"]),
    default="vendor",
    show_default=True,
    help="Apply the vendor's real rate limits, or none.",
)
@click.option("--latency", type=MILLISECONDS, default=0.0, help="Added latency per request, in ms.")
@click.option("--faults", type=FRACTION, default=0.0, help="Fraction of requests that fail (0..1).")
@click.option("--db", type=NewFile(), default=None, help="SQLite state file.")
@click.option(
    "--webhook",
    envvar="UNICRM_SANDBOX_WEBHOOK",
    type=Webhook(),
    default=None,
    help="Bitrix24 webhook USER/CODE to accept (env UNICRM_SANDBOX_WEBHOOK).",
)
@click.option(
    "--token",
    envvar="UNICRM_SANDBOX_TOKEN",
    type=NonEmpty(),
    default=None,
    help="amoCRM long-lived token to accept (env UNICRM_SANDBOX_TOKEN).",
)
@click.option("--random-seed", type=int, default=0, help="Seed for data and fault generation.")
def sandbox_command(  # noqa: PLR0917 - one parameter per click option
    vendor: str,
    port: int,
    seed: int,
    contacts: int | None,
    deals: int | None,
    companies: int | None,
    notes: int | None,
    tasks: int | None,
    limits: str,
    latency: float,
    faults: float,
    db: str | None,
    webhook: str | None,
    token: str | None,
    random_seed: int,
) -> None:
    """Serve VENDOR's emulator on 127.0.0.1 until Ctrl-C.

    The first line printed is the base URL; the following lines say how to connect.
    """
    spec = find_sandbox(vendor)
    if port:
        check_port_free(port)
    options = SandboxOptions(
        port=port or free_port(),
        seed=seed,
        contacts=contacts,
        deals=deals,
        companies=companies,
        notes=notes,
        tasks=tasks,
        limits=limits,
        latency_ms=latency,
        faults=faults,
        db=db,
        webhook=webhook,
        token=token,
        random_seed=random_seed,
    )
    sandbox = spec.create(options)
    for line in sandbox.banner:
        click.echo(line)
    sys.stdout.flush()
    try:
        serve(sandbox.emulator, port=options.port)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        pass
