"""``unicrm demo``: two vendor emulators, a seeded source, a full migration, a verification.

Starts the source and target sandboxes (by default Bitrix24 and amoCRM, found through
``unicrm.plugins.sandboxes()``) in this process, each behind a real HTTP server on 127.0.0.1
with the vendor's limits; seeds the source; migrates everything with the automatic mapping;
verifies; prints a summary. Exits 0 only when verification found zero differences.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from unicrm.cli.cmd_migrate import print_verify
from unicrm.cli.cmd_sandbox import find_sandbox
from unicrm.cli.output import EXIT_CONFIG, EXIT_FAILED, console, fail, print_json
from unicrm.cli.progress import progress_for
from unicrm.connect import connect_async, known_schemes
from unicrm.emulation import SandboxOptions, ServerThread, free_port
from unicrm.migrate import Ledger, MigrateOptions, MigrationReport, VerifyReport, migrate, verify


def connection_of(banner: tuple[str, ...], vendor: str) -> tuple[str, dict[str, Any]]:
    """The URL and options to reach a sandbox, read from its banner.

    A banner word that is a URL with a scheme some adapter answers is the connection URL;
    ``token X`` / ``webhook X`` lines become options. Failing that, the base URL (line 1) with
    the scheme ``<vendor>+http``.
    """
    schemes = set(known_schemes())
    url = ""
    options: dict[str, Any] = {}
    for line in banner:
        words = line.split()
        for word in words:
            if "://" in word and word.split("://", 1)[0] in schemes and not url:
                url = word
        if len(words) == 2 and words[0] in {"token"}:
            options[words[0]] = words[1]
    if not url:
        base = banner[0].split("://", 1)[-1]
        url = f"{vendor}+http://{base}"
    return url, options


@contextlib.contextmanager
def running(vendor: str, options: SandboxOptions) -> Iterator[tuple[str, dict[str, Any]]]:
    """Serve a sandbox on a background thread; yield how to connect to it."""
    try:
        sandbox = find_sandbox(vendor).create(options)
    except ImportError as exc:
        fail(f"the {vendor} sandbox is not available in this install ({exc})", EXIT_CONFIG)
    with ServerThread(sandbox.emulator, port=options.port):
        yield connection_of(sandbox.banner, vendor)


async def _run(
    source: tuple[str, dict[str, Any]],
    target: tuple[str, dict[str, Any]],
    ledger_path: Path,
    quiet: bool,
) -> tuple[MigrationReport, VerifyReport]:
    labels = (f"demo-{source[0].split('://')[0]}", f"demo-{target[0].split('://')[0]}")
    async with (
        connect_async(source[0], **source[1]) as src,
        connect_async(target[0], **target[1]) as dst,
    ):
        with Ledger(ledger_path) as ledger:
            bars = progress_for(quiet)
            kwargs: dict[str, Any] = {
                "ledger": ledger,
                "options": MigrateOptions(),
                "source_label": labels[0],
                "target_label": labels[1],
            }
            if bars is None:
                report = await migrate(src, dst, **kwargs)
            else:
                with bars:
                    report = await migrate(src, dst, progress=bars, **kwargs)
            checked = await verify(src, dst, ledger=ledger, source_label=labels[0])
    return report, checked


def _summary(report: MigrationReport, checked: VerifyReport, seed_seconds: float) -> None:
    out = console()
    table = Table(title=f"unicrm demo: {report.source} -> {report.target}")
    table.add_column("entity")
    for column in ("source", "written", "skipped", "failed", "target", "seconds", "rate/s"):
        table.add_column(column, justify="right")
    for entity, stats in report.entities.items():
        counts = checked.counts.get(entity, {})
        data = stats.as_dict()
        table.add_row(
            f"{entity}s",
            str(counts.get("source", data["read"])),
            str(data["written"]),
            str(data["skipped"]),
            str(data["failed"]),
            str(counts.get("target", "?")),
            f"{stats.seconds:.1f}",
            str(data["rate"]),
        )
    out.print(table)
    decisions = Table(title="decisions")
    for column in ("what", "decision", "why"):
        decisions.add_column(column)
    for decision in (*report.decisions, *report.learned):
        what = f"{decision.entity} {decision.topic}".strip() + f" {decision.subject}"
        why = decision.reason + (f" ({decision.count} records)" if decision.count else "")
        decisions.add_row(Text(what), Text(decision.outcome), Text(why))
    out.print(decisions)
    if report.created:
        out.print(f"created in the target: {', '.join(report.created)}", markup=False)
    for warning in report.warnings:
        out.print(f"warning: {warning}", markup=False)
    for error in report.errors[:10]:
        out.print(f"error: {error}", markup=False)
    out.print(
        f"seeded in {seed_seconds:.1f} s; migrated {report.written} records in "
        f"{report.seconds:.1f} s ({report.written / report.seconds if report.seconds else 0:,.0f}"
        f"/s); verified in {checked.seconds:.1f} s"
    )
    verdict = "[green]zero differences[/green]" if checked.ok else "[red]DIFFERENCES[/red]"
    out.print(f"verify: {verdict} ({checked.differences})")
    if not checked.ok:
        print_verify(checked)


@click.command("demo")
@click.option(
    "--leads",
    type=click.IntRange(0),
    default=2000,
    show_default=True,
    help="Leads to seed in the source (its seeder adds contacts and links).",
)
@click.option(
    "--source", "source_vendor", default="bitrix24", show_default=True, help="Source sandbox."
)
@click.option(
    "--target", "target_vendor", default="amocrm", show_default=True, help="Target sandbox."
)
@click.option(
    "--limits",
    type=click.Choice(["vendor", "off"]),
    default="vendor",
    show_default=True,
    help="Vendor rate limits in both sandboxes.",
)
@click.option("--random-seed", type=int, default=1, show_default=True, help="Data seed.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the ledger and sandbox databases here (default: a temporary dir).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print both reports as JSON.")
def demo_command(  # noqa: PLR0917 - one parameter per click option
    leads: int,
    source_vendor: str,
    target_vendor: str,
    limits: str,
    random_seed: int,
    workdir: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Seed a source sandbox, migrate it into a target sandbox, verify; exit 0 if exact."""
    find_sandbox(source_vendor)
    find_sandbox(target_vendor)
    with contextlib.ExitStack() as stack:
        directory = (
            Path(workdir) if workdir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        )
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        source = stack.enter_context(
            running(
                source_vendor,
                SandboxOptions(
                    port=free_port(),
                    seed=leads,
                    limits=limits,
                    random_seed=random_seed,
                    db=str(directory / f"source-{source_vendor}.sqlite"),
                ),
            )
        )
        seeded = time.perf_counter() - started
        target = stack.enter_context(
            running(
                target_vendor,
                SandboxOptions(
                    port=free_port(),
                    seed=0,
                    limits=limits,
                    random_seed=random_seed + 1,
                    db=str(directory / f"target-{target_vendor}.sqlite"),
                ),
            )
        )
        if not quiet and not as_json:
            console(stderr=True).print(
                f"{source_vendor} sandbox seeded with {leads} leads in {seeded:.1f} s; "
                f"migrating into {target_vendor} ...",
                markup=False,
            )
        report, checked = asyncio.run(
            _run(source, target, directory / "ledger.db", quiet or as_json)
        )
    if as_json:
        print_json({"migration": report.as_dict(), "verify": checked.as_dict()})
    else:
        _summary(report, checked, seeded)
    if not checked.ok:
        raise SystemExit(EXIT_FAILED)
