"""``unicrm migrate``, ``verify`` and ``export`` through click's CliRunner on memory stores."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import unicrm
from unicrm import Contact, ContactLink, Lead, Money, StageRef
from unicrm.cli import cli


@pytest.fixture
def stores() -> Iterator[tuple[str, str]]:
    from unicrm_memory.store import forget

    names = (f"clisrc-{uuid.uuid4().hex[:8]}", f"clidst-{uuid.uuid4().hex[:8]}")
    crm = unicrm.connect(f"memory://{names[0]}")
    ids = [crm.contacts.create(Contact(first_name=f"Иван {i}")).id for i in range(5)]
    for i in range(8):
        crm.leads.create(
            Lead(
                title=f"Deal {i}",
                amount=Money(i * 10, "EUR"),
                stage=StageRef("1", "won" if i % 2 else "new", "won" if i % 2 else "open"),
                contacts=[ContactLink(ids[i % 5], True)],
            )
        )
    yield f"memory://{names[0]}", f"memory://{names[1]}"
    for name in names:
        forget(name)


def _migrate(stores: tuple[str, str], *extra: str) -> list[str]:
    """``unicrm migrate --from <source> --to <target>`` and ``extra``."""
    return ["migrate", "--from", stores[0], "--to", stores[1], *extra]


def test_migrate_then_verify_then_rerun(stores: tuple[str, str], ledger_at: Any) -> None:
    """Both ledger backends: a SQLite file, a postgresql:// URL."""
    runner = CliRunner()
    ledger = ledger_at("run")
    args = _migrate(stores, "--ledger", ledger, "--json")
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["state"] == "complete"
    assert report["entities"]["lead"]["created"] == 8
    check = runner.invoke(
        cli, ["verify", "--from", stores[0], "--to", stores[1], "--ledger", ledger, "--json"]
    )
    assert check.exit_code == 0, check.output
    assert json.loads(check.output)["differences"] == 0
    again = runner.invoke(cli, args)
    assert json.loads(again.output)["entities"]["lead"]["written"] == 0


def test_verify_exits_1_on_differences(stores: tuple[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    ledger = str(tmp_path / "run.db")
    runner.invoke(cli, _migrate(stores, "--ledger", ledger, "-q"))
    target = unicrm.connect(stores[1])
    target.leads.delete(target.leads.all().first().id)  # type: ignore[union-attr]
    check = runner.invoke(
        cli, ["verify", "--from", stores[0], "--to", stores[1], "--ledger", ledger, "--json"]
    )
    assert check.exit_code == 1
    assert json.loads(check.output)["differences"] == 1
    human = runner.invoke(
        cli,
        ["verify", "--from", stores[0], "--to", stores[1], "--ledger", ledger],
        env={"NO_COLOR": "1"},
    )
    assert "lead.missing: 1" in human.output


def test_dry_run_and_init_mapping_write_nothing_to_the_target(
    stores: tuple[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    mapping = tmp_path / "mapping.toml"
    init = runner.invoke(
        cli,
        _migrate(stores, "--init-mapping", "--mapping", str(mapping)),
    )
    assert init.exit_code == 0, init.output
    text = mapping.read_text()
    assert 'missing = "note"' in text
    # stage and pipeline names beside the ids, and how each stage was matched
    assert '"1/won" = "1/won"  # Sales / Won -> Sales / Won (same name)' in text
    assert 'default_stage = "1/new"  # Sales / New' in text
    again = runner.invoke(
        cli,
        _migrate(stores, "--init-mapping", "--mapping", str(mapping)),
    )
    assert again.exit_code == 3 and "--force" in again.output
    dry = runner.invoke(
        cli,
        _migrate(
            stores,
            "--mapping",
            str(mapping),
            "--dry-run",
            "--json",
            "--ledger",
            str(tmp_path / "none.db"),
        ),
    )
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.output)
    assert plan["plan"]["lead"]["create"] == 8 and plan["preview"]
    assert unicrm.connect(stores[1]).leads.all().to_list() == []
    assert not (tmp_path / "none.db").exists()


def test_rollback_on_memory(stores: tuple[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    ledger = str(tmp_path / "run.db")
    runner.invoke(cli, _migrate(stores, "--ledger", ledger, "-q"))
    result = runner.invoke(
        cli,
        _migrate(stores, "--ledger", ledger, "--rollback", "--json"),
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["deleted"] == {"lead": 8, "contact": 5}
    assert unicrm.connect(stores[1]).contacts.all().to_list() == []


def test_export_jsonl_csv_and_where(stores: tuple[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["export", stores[0], "leads", "--where", 'amount >= 50 and stage.semantic == "won"']
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert sorted(r["title"] for r in rows) == ["Deal 5", "Deal 7"]
    out = tmp_path / "contacts.csv"
    result = runner.invoke(
        cli, ["export", stores[0], "contacts", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert (
        len(lines) == 6 and "first_name" in lines[0] and "Иван 0" in out.read_text(encoding="utf-8")
    )
    bad = runner.invoke(cli, ["export", stores[0], "leads", "--where", "__import__('os')"])
    assert bad.exit_code == 2  # a bad --where is a usage error


def test_config_file_errors_and_secrets_never_printed(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        cli, ["export", "memory://x", "leads"], env={"UNICRM_CONFIG": str(tmp_path / "nope.toml")}
    )
    assert missing.exit_code == 3 and "does not exist" in missing.output
    config = tmp_path / "c.toml"
    config.write_text('[urls."amocrm+http://127.0.0.1:9"]\ntoken = "sekrit-token-value"\n')
    result = runner.invoke(
        cli, ["export", "amocrm+http://127.0.0.1:9", "leads"], env={"UNICRM_CONFIG": str(config)}
    )
    assert result.exit_code != 0
    assert "sekrit-token-value" not in result.output


def test_demo_names_a_missing_sandbox() -> None:
    result = CliRunner().invoke(cli, ["demo", "--source", "nosuch"])
    assert result.exit_code == 3
    assert "no sandbox named 'nosuch'" in result.output


def test_dry_run_text_and_json_say_the_same_decisions_in_words(
    stores: tuple[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    args = _migrate(stores, "--dry-run", "--ledger", str(tmp_path / "none.db"))
    as_json = runner.invoke(cli, [*args, "--json"])
    as_text = runner.invoke(cli, args, env={"NO_COLOR": "1"})
    assert as_json.exit_code == 0 and as_text.exit_code == 0, as_text.output
    decisions = json.loads(as_json.output)["decisions"]
    assert {d["topic"] for d in decisions} >= {"route", "pipeline", "stage", "link", "note"}
    text = " ".join(as_text.output.split())  # rich wraps long lines at the terminal width
    for decision in decisions:
        assert " ".join(decision["text"].split()) in text
    assert "lead stage Sales / Won: Sales / Won (same name)" in text
    assert "would be written as: title: Deal" in text
    for python in ("{'", "[{", "FrozenMap(", "StageRef(", "ContactLink(", "Decimal("):
        assert python not in as_text.output


def test_a_migration_that_fails_before_it_starts_leaves_no_ledger(
    stores: tuple[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    config = tmp_path / "empty.toml"
    config.write_text("")
    env = {"UNICRM_CONFIG": str(config), "UNICRM_AMOCRM_TOKEN": ""}
    ledger = tmp_path / "run.db"
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[routes.lead]\ndefault_stage = "1/new"\n[routes.lead.stages]\n"1/new" = "1/new"\n'
    )
    attempts = {
        "a bad URL": ["--to", "nosuch://nowhere"],
        "a missing token": ["--to", "amocrm+http://127.0.0.1:9"],
        "a won stage the mapping leaves out": ["--to", stores[1], "--mapping", str(mapping)],
    }
    for why, extra in attempts.items():
        args = ["migrate", "--from", stores[0], "--ledger", str(ledger), "-q", *extra]
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 3, (why, result.output)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.toml", "map.toml"], why
    # an existing ledger is never removed, even when the run fails before it starts
    ok = runner.invoke(cli, _migrate(stores, "--ledger", str(ledger), "-q"))
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        cli,
        _migrate(stores, "--ledger", str(ledger), "--mapping", str(mapping)),
        env=env,
    )
    assert again.exit_code == 3 and ledger.exists()
