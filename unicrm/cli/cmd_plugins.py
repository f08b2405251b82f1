"""``unicrm plugins``: which adapters and sandboxes the loaded plugins provide."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from unicrm.cli.output import console, print_json
from unicrm.plugins import adapters, plugin_versions, sandboxes


def _describe() -> list[dict[str, Any]]:
    versions = plugin_versions()
    sandbox_names = {s.name for s in sandboxes()}
    rows: list[dict[str, Any]] = []
    for spec in sorted(adapters(), key=lambda s: s.name):
        caps = spec.capabilities() if spec.capabilities else None
        rows.append(
            {
                "name": spec.name,
                "version": spec.version or versions.get(spec.name, "unknown"),
                "schemes": list(spec.schemes),
                "description": spec.description,
                "sandbox": spec.name in sandbox_names,
                "capabilities": None
                if caps is None
                else {
                    "entities": sorted(str(e) for e in caps.entities),
                    "boolean": caps.boolean.value,
                    "page_size": caps.page_size,
                    "write_batch_size": caps.write_batch_size,
                    "delete": caps.supports_delete,
                    "create_custom_fields": caps.supports_custom_field_create,
                    "filters": {
                        entity: {f: sorted(ops) for f, ops in table.items()}
                        for entity, table in caps.filters.items()
                    },
                },
            }
        )
    return rows


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--verbose", "-v", is_flag=True, help="Also print each adapter's capabilities.")
def plugins_command(as_json: bool, verbose: bool) -> None:
    """List loaded adapters: version, URL schemes, capabilities, sandbox."""
    rows = _describe()
    if as_json:
        print_json({"adapters": rows, "plugins": plugin_versions()})
        return
    out = console()
    table = Table(title="unicrm adapters")
    for column in ("name", "version", "schemes", "sandbox", "delete", "batch", "description"):
        table.add_column(column)
    for row in rows:
        caps = row["capabilities"] or {}
        table.add_row(
            row["name"],
            row["version"],
            ", ".join(row["schemes"]),
            "yes" if row["sandbox"] else "no",
            "yes" if caps.get("delete") else "no",
            str(caps.get("write_batch_size", "?")),
            row["description"],
        )
    out.print(table)
    if verbose:
        for spec in sorted(adapters(), key=lambda s: s.name):
            if spec.capabilities:
                out.print(f"\n[bold]{spec.name}[/bold]")
                out.print(str(spec.capabilities()), markup=False)
