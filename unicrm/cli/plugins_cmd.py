"""``unicrm plugins``: the loaded adapters with their version, URL schemes and capabilities."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from unicrm import plugins as registry
from unicrm.cli.output import console, print_json


def _rows() -> list[dict[str, Any]]:
    versions = registry.plugin_versions()
    rows = []
    for spec in sorted(registry.adapters(), key=lambda s: s.name):
        capabilities = spec.capabilities() if spec.capabilities else None
        rows.append(
            {
                "name": spec.name,
                "version": spec.version if spec.version != "0" else versions.get(spec.name, "?"),
                "schemes": list(spec.schemes),
                "description": spec.description,
                "capabilities": str(capabilities) if capabilities else "",
            }
        )
    return rows


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.option("--capabilities/--no-capabilities", default=True, help="Show capabilities.")
def plugins(as_json: bool, capabilities: bool) -> None:
    """List the loaded adapter plugins (restrict with UNICRM_PLUGINS=a,b)."""
    rows = _rows()
    if as_json:
        print_json(rows)
        return
    out = console()
    table = Table(title="unicrm adapters")
    for column in ("name", "version", "schemes", "description"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["version"], ", ".join(row["schemes"]), row["description"])
    out.print(table)
    if capabilities:
        for row in rows:
            if row["capabilities"]:
                out.print(f"\n[bold]{row['name']}[/bold]\n{row['capabilities']}")
