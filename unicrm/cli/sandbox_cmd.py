"""``unicrm sandbox <vendor>``: serve a vendor emulator over real HTTP (uvicorn).

The first lines printed are the sandbox's banner (the base URL first), flushed before serving
so scripts can read them from a pipe.
"""

from __future__ import annotations

import click

from unicrm import plugins as registry
from unicrm.emulation import SandboxOptions, free_port, serve


def _names() -> list[str]:
    return sorted(spec.name for spec in registry.sandboxes())


@click.command()
@click.argument("vendor")
@click.option("--port", type=int, default=0, help="Port on 127.0.0.1 (0: a free one).")
@click.option("--seed", type=click.IntRange(min=0), default=0, help="Leads to create.")
@click.option("--limits", type=click.Choice(["vendor", "off"]), default="vendor")
@click.option("--latency", "latency_ms", type=click.FloatRange(min=0), default=0.0, help="ms")
@click.option("--faults", type=click.FloatRange(0, 1), default=0.0, help="Fault rate 0..1.")
@click.option("--db", type=click.Path(dir_okay=False), default=None, help="SQLite file.")
@click.option("--webhook", default=None, help="Bitrix24 webhook USER/CODE.")
@click.option("--token", default=None, help="amoCRM long-lived token to accept.")
@click.option("--random-seed", type=int, default=0, help="Seed of the fake-data generator.")
def sandbox(
    *,
    vendor: str,
    port: int,
    seed: int,
    limits: str,
    latency_ms: float,
    faults: float,
    db: str | None,
    webhook: str | None,
    token: str | None,
    random_seed: int,
) -> None:
    """Serve VENDOR's emulator on 127.0.0.1 until interrupted."""
    specs = {spec.name: spec for spec in registry.sandboxes()}
    if vendor not in specs:
        known = ", ".join(_names()) or "none"
        raise click.BadParameter(f"no sandbox named {vendor!r}; known: {known}")
    port = port or free_port()
    options = SandboxOptions(
        port=port,
        seed=seed,
        limits=limits,
        latency_ms=latency_ms,
        faults=faults,
        db=db,
        webhook=webhook,
        token=token,
        random_seed=random_seed,
    )
    box = specs[vendor].create(options)
    for line in box.banner:
        click.echo(line)
    click.echo(f"serving {vendor} sandbox; Ctrl-C to stop", err=True)
    serve(box.emulator, port=port)
