"""``unicrm export <url> leads|contacts``: stream records as JSON lines or CSV."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from typing import IO, Any

import click

from unicrm.cli.connecting import open_crm
from unicrm.cli.params import CrmUrl, NewFile, WhereExpression
from unicrm.migrate.transform import to_plain
from unicrm.model import EntityKind, Record
from unicrm.query import Node

ENTITIES = {"leads": EntityKind.LEAD, "contacts": EntityKind.CONTACT}


def _flat(record: Record) -> dict[str, Any]:
    """One CSV row: nested values as JSON text, scalars as they are."""
    row: dict[str, Any] = {}
    for key, value in to_plain(record).items():
        row[key] = (
            json.dumps(value, ensure_ascii=False, sort_keys=True)
            if isinstance(value, (dict, list))
            else ("" if value is None else value)
        )
    return row


async def _export(url: str, entity: EntityKind, where: Node | None, fmt: str, out: IO[str]) -> int:
    count = 0
    writer: csv.DictWriter[str] | None = None
    async with open_crm(url) as crm:
        query = crm.collection(entity).all()
        if where is not None:
            query = query.filter(where)
        async for page in query.pages():
            for record in page:
                if fmt == "jsonl":
                    out.write(json.dumps(to_plain(record), ensure_ascii=False, sort_keys=True))
                    out.write("\n")
                else:
                    row = _flat(record)
                    if writer is None:
                        writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
                        writer.writeheader()
                    writer.writerow(row)
                count += 1
    return count


@click.command("export")
@click.argument("url", type=CrmUrl())
@click.argument("entity", type=click.Choice(sorted(ENTITIES)))
@click.option(
    "--where",
    type=WhereExpression(),
    default=None,
    help="Filter, e.g. 'amount >= 1000 and tags.contains(\"vip\")'.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=NewFile(),
    default=None,
    help="File to write (default: stdout).",
)
def export_command(url: str, entity: str, where: Node | None, fmt: str, output: str | None) -> None:
    """Export ENTITY (leads or contacts) of the CRM at URL as JSON lines or CSV."""
    if output is None:
        count = asyncio.run(_export(url, ENTITIES[entity], where, fmt, sys.stdout))
    else:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            count = asyncio.run(_export(url, ENTITIES[entity], where, fmt, handle))
        click.echo(f"exported {count} {entity} to {output}", err=True)
