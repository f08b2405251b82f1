"""``unicrm plugins`` and ``unicrm sandbox``: what CI and users run first."""

from __future__ import annotations

import json

from click.testing import CliRunner

from unicrm.cli import cli


def test_plugins_json_lists_memory_with_schemes_and_capabilities() -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    memory = next(a for a in data["adapters"] if a["name"] == "memory")
    assert memory["schemes"] == ["memory"]
    assert memory["capabilities"]["delete"] is True
    assert "lead" in memory["capabilities"]["entities"]


def test_plugins_table_names_every_adapter() -> None:
    result = CliRunner().invoke(cli, ["plugins"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "memory" in result.output
    assert "\x1b[" not in result.output


def test_unknown_sandbox_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "no-such-vendor"])
    assert result.exit_code == 3
    assert "no sandbox named 'no-such-vendor'" in result.output


def test_help_everywhere() -> None:
    runner = CliRunner()
    for args in (["--help"], ["plugins", "--help"], ["sandbox", "--help"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0
        assert "Usage:" in result.output
