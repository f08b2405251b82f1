"""``unicrm migrate`` and ``unicrm verify``: the engine behind the command line."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from unicrm.cli.connecting import open_crm
from unicrm.cli.output import EXIT_FAILED, EXIT_INTERRUPTED, console, fail, print_json
from unicrm.cli.progress import progress_for
from unicrm.errors import UnicrmError
from unicrm.migrate import (
    Ledger,
    MigrateOptions,
    MigrationReport,
    VerifyReport,
    dump_mapping,
    init_mapping_text,
    load_mapping,
    migrate,
    rollback,
    verify,
)
from unicrm.migrate.decisions import describe_record
from unicrm.state.postgres import is_postgres_url
from unicrm.transport import redact_url


def _since(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"--since needs an ISO 8601 time such as 2024-05-01T00:00:00+00:00, got {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


async def _init(source_url: str, target_url: str, path: Path) -> None:
    async with open_crm(source_url) as source, open_crm(target_url) as target:
        mapping, text = await init_mapping_text(source, target)
    dump_mapping(mapping, path, text=text)


async def _migrate(
    source_url: str, target_url: str, ledger_path: str, options: MigrateOptions, quiet: bool
) -> MigrationReport:
    """Connect, then open the ledger and run. A ledger file this call creates is removed
    again when the run fails before recording any record (a bad URL, a missing token, a CRM
    that does not answer): a migration that never started leaves nothing behind."""
    existed = _ledger_exists(ledger_path)
    async with open_crm(source_url) as source, open_crm(target_url) as target:
        ledger = None if options.dry_run and not existed else Ledger(ledger_path)
        try:
            bars = progress_for(quiet)
            with bars if bars is not None else contextlib.nullcontext():
                return await migrate(
                    source,
                    target,
                    ledger=ledger,
                    options=options,
                    source_label=redact_url(source_url),
                    target_label=redact_url(target_url),
                    progress=bars,
                )
        except UnicrmError:
            if (
                ledger is not None
                and not existed
                and not any(sum(states.values()) for states in ledger.counts().values())
            ):
                ledger.close()
                ledger = None
                _remove_ledger(Path(ledger_path))
            raise
        finally:
            if ledger is not None:
                ledger.close()


def _ledger_exists(location: str) -> bool:
    """Whether a ledger is there: a SQLite file that exists, or any PostgreSQL ledger URL (the
    database holds it; this run never removes one)."""
    return is_postgres_url(location) or Path(location).exists()


def _remove_ledger(path: Path) -> None:
    """Delete a ledger file with its SQLite write-ahead log and shared-memory files."""
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def print_decisions(report: MigrationReport) -> None:
    """The run's decisions, what it learned and what it created, one sentence each (the same
    sentences ``--json`` carries as ``text``)."""
    out = console()
    sections = (
        ("decisions", report.decisions),
        ("learned from the target during the run", report.learned),
    )
    for title, decisions in sections:
        if decisions:
            out.print(f"{title}:", markup=False)
            for decision in decisions:
                out.print(f"  {decision.sentence()}", markup=False)
    if report.created:
        out.print(f"created in the target: {', '.join(report.created)}", markup=False)
    if report.unmatched_users:
        out.print(
            f"users with no match in the target: {', '.join(report.unmatched_users)}",
            markup=False,
        )


def print_migration(report: MigrationReport) -> None:
    """The human summary of a run."""
    out = console()
    table = Table(title=f"migration {report.state}" + (" (dry run)" if report.dry_run else ""))
    columns = ("entity", "read", "created", "updated", "skipped", "recovered", "failed", "rate/s")
    for column in columns:
        table.add_column(column, justify="left" if column == "entity" else "right")
    for name, stats in report.entities.items():
        data = stats.as_dict()
        table.add_row(name, *(str(data[c]) for c in columns[1:-1]), str(data["rate"]))
    out.print(table)
    print_decisions(report)
    if report.dry_run:
        for entity, plan in report.plan.items():
            counts = ", ".join(f"{k} {v}" for k, v in plan.items())
            out.print(f"{entity}s would be: {counts}", markup=False)
        for item in report.preview:
            out.print(
                f"{item['entity']} {item['source_id']} would be written as: "
                f"{describe_record(item['record'])}",
                markup=False,
            )
    for warning in report.warnings:
        out.print(f"warning: {warning}", markup=False)
    for error in report.errors:
        out.print(f"error: {error}", markup=False)
    out.print(f"{report.written} records written in {report.seconds:.1f} s")


def print_verify(report: VerifyReport) -> None:
    """The human summary of a verification."""
    out = console()
    table = Table(title="verify")
    for column in ("entity", "source", "target", "ledger"):
        table.add_column(column)
    for entity, counts in report.counts.items():
        table.add_row(entity, *(str(counts[k]) for k in ("source", "target", "ledger")))
    out.print(table)
    for kind, count in sorted(report.by_kind.items()):
        out.print(f"{kind}: {count}", markup=False)
    for difference in report.details[:20]:
        out.print(f"  {difference.as_dict()}", markup=False)
    out.print(f"differences: {report.differences}")


@click.command("migrate")
@click.option("--from", "source_url", required=True, help="Source CRM URL.")
@click.option("--to", "target_url", required=True, help="Target CRM URL.")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Mapping TOML file (default: the automatic mapping).",
)
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False),
    default="unicrm-ledger.db",
    show_default=True,
    help="Ledger: a SQLite file, or a postgresql:// URL shared by several workers.",
)
@click.option("--dry-run", is_flag=True, help="Plan and preview; write nothing.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run.")
@click.option("--since", default=None, help="Only records updated since this ISO 8601 time.")
@click.option("--init-mapping", is_flag=True, help="Write a starting mapping file and stop.")
@click.option("--force", is_flag=True, help="With --init-mapping: overwrite the file.")
@click.option(
    "--rollback",
    "do_rollback",
    is_flag=True,
    help="Delete what the ledger's runs created (where the target can delete).",
)
@click.option("--batch-size", type=click.IntRange(1, 500), default=None, help="Write batch size.")
@click.option(
    "--writers",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Write batches in flight.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def migrate_command(  # noqa: PLR0917 - one parameter per click option
    source_url: str,
    target_url: str,
    mapping_path: str | None,
    ledger_path: str,
    dry_run: bool,
    resume: bool,
    since: str | None,
    init_mapping: bool,
    force: bool,
    do_rollback: bool,
    batch_size: int | None,
    writers: int,
    quiet: bool,
    as_json: bool,
) -> None:
    """Copy companies, contacts, leads and deals with their links from --from to --to.

    Exactly once: rerun or --resume after any interruption; nothing is written twice.
    Exit status: 0 done, 1 some records failed, 3 configuration, 4 CRM/network, 130 interrupted.
    """
    if init_mapping:
        path = Path(mapping_path or "mapping.toml")
        if path.exists() and not force:
            fail(f"{path} exists; pass --force to overwrite it")
        asyncio.run(_init(source_url, target_url, path))
        click.echo(f"wrote {path}; edit it, then run with --mapping {path}")
        return
    if do_rollback:
        _rollback(target_url, ledger_path, as_json)
        return
    options = MigrateOptions(
        mapping=load_mapping(mapping_path) if mapping_path else None,
        dry_run=dry_run,
        resume=resume,
        since=_since(since),
        batch_size=batch_size,
        writers=writers,
    )
    try:
        report = asyncio.run(
            _migrate(source_url, target_url, ledger_path, options, quiet or as_json)
        )
    except KeyboardInterrupt:
        fail(f"interrupted; continue with --resume --ledger {ledger_path}", EXIT_INTERRUPTED)
    if as_json:
        print_json(report.as_dict())
    else:
        print_migration(report)
    if report.state == "failed":
        raise SystemExit(EXIT_FAILED)


def _rollback(target_url: str, ledger_path: str, as_json: bool) -> None:
    if not _ledger_exists(ledger_path):
        fail(f"no ledger at {ledger_path}")

    async def run() -> Any:
        async with open_crm(target_url) as target:
            with Ledger(ledger_path) as ledger:
                return await rollback(target, ledger)

    report = asyncio.run(run())
    if as_json:
        print_json(report.as_dict())
    else:
        click.echo(report.message)
        if not report.supported:
            for entity, ids in report.created_ids.items():
                click.echo(f"{entity}s created: {', '.join(ids) or '(none)'}")
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
    if not report.supported or report.errors:
        raise SystemExit(EXIT_FAILED)


@click.command("verify")
@click.option("--from", "source_url", required=True, help="Source CRM URL.")
@click.option("--to", "target_url", required=True, help="Target CRM URL.")
@click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="The migration's ledger (a SQLite file or a postgresql:// URL).",
)
@click.option("--json", "as_json", is_flag=True, help='Print JSON with top-level "differences".')
def verify_command(source_url: str, target_url: str, ledger_path: str, as_json: bool) -> None:
    """Compare the target with the mapped source; exit 0 only with zero differences."""
    if not _ledger_exists(ledger_path):
        fail(f"no ledger at {ledger_path}")

    async def run() -> VerifyReport:
        async with open_crm(source_url) as source, open_crm(target_url) as target:
            with Ledger(ledger_path) as ledger:
                return await verify(
                    source,
                    target,
                    ledger=ledger,
                    source_label=redact_url(source_url),
                    target_label=redact_url(target_url),
                )

    report = asyncio.run(run())
    if as_json:
        print_json(report.as_dict())
    else:
        print_verify(report)
    if not report.ok:
        raise SystemExit(EXIT_FAILED)
