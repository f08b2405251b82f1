"""The dlt source, loaded for real into duckdb: a first load, then changes / additions /
deletions on the CRM, a second (incremental) load, and the tables equal a fresh full read.
dlt runs offline: telemetry is off and its state lives under the test's directory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import unicrm
from unicrm import Contact, Lead, Money

dlt = pytest.importorskip("dlt")
duckdb = pytest.importorskip("duckdb")
unicrm_dlt = pytest.importorskip("unicrm.dlt")

from ..changes.sandboxes import Sandbox  # noqa: E402


@pytest.fixture(autouse=True)
def offline_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt-data"))
    yield


def load(tmp_path: Path, url: str, **options: Any) -> Any:
    pipeline = dlt.pipeline(
        pipeline_name="crm",
        destination=dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb")),
        pipelines_dir=str(tmp_path / "pipelines"),
        dataset_name="crm",
    )
    source = unicrm_dlt.crm_source(url, entities=("lead", "contact"), **options)
    info = pipeline.run(source)
    assert not info.has_failed_jobs
    return pipeline


def table(tmp_path: Path, name: str) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(f"SELECT * FROM crm.{name}")
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    return {row["id"]: row for row in rows}


def normalised(row: dict[str, Any]) -> dict[str, Any]:
    naming = dlt.common.normalizers.naming.snake_case.NamingConvention()
    return {naming.normalize_path(k): v for k, v in row.items()}


def comparable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc)
    if isinstance(value, Decimal):
        return value.normalize()  # duckdb keeps DECIMAL(38,9)
    return value


def assert_tables_equal_a_full_read(tmp_path: Path, crm: unicrm.CRM) -> None:
    for entity, name in (("lead", "leads"), ("contact", "contacts")):
        loaded = table(tmp_path, name)
        fresh = {r.id: normalised(unicrm_dlt.record_row(r)) for r in crm.collection(entity).all()}
        assert set(loaded) == set(fresh), name
        for record_id, expected in fresh.items():
            got = loaded[record_id]
            assert got["_unicrm_deleted"] is None
            for column, value in expected.items():
                assert comparable(got[column]) == comparable(value), (name, record_id, column)
            extra = {c for c, v in got.items() if v is not None and not c.startswith("_")}
            assert extra <= set(expected), (name, record_id, extra - set(expected))


def test_memory_crm_loads_then_merges_changes_and_deletions(tmp_path: Path) -> None:
    url = f"memory://dlt-{tmp_path.name}"
    crm = unicrm.connect(url)
    leads = [
        crm.leads.create(
            Lead(title=f"lead {n}", amount=Money(Decimal(n * 10), "USD"), custom={"tier": f"t{n}"})
        )
        for n in range(6)
    ]
    people = [crm.contacts.create(Contact(first_name=f"P{n}", tags=["vip"])) for n in range(3)]
    load(tmp_path, url, changes={"lag": 0})
    assert_tables_equal_a_full_read(tmp_path, crm)
    crm.leads.patch(leads[0].id, title="edited", custom={"tier": "gold"})
    crm.leads.patch(leads[1].id, amount=None)
    crm.leads.delete(leads[2].id)
    crm.contacts.delete(people[0].id)
    crm.leads.create(Lead(title="late", custom={"tier": "new"}))
    crm.contacts.create(Contact(first_name="Late"))
    pipeline = load(tmp_path, url, changes={"lag": 0})
    assert_tables_equal_a_full_read(tmp_path, crm)
    # the second load read only the changes: the state holds each entity's cursor
    state = pipeline.state["sources"]["unicrm"]["resources"]
    assert set(state) == {"leads", "contacts"} and state["leads"]["cursor"].startswith("uc1.")
    crm.close()


@pytest.mark.parametrize("vendor", ["bitrix24", "amocrm"])
def test_vendor_emulators_load_then_merge_changes_and_deletions(
    vendor: str, tmp_path: Path
) -> None:
    with Sandbox(vendor, seed=15, random_seed=2) as box, box.connect() as crm:
        options = {**box.options, "changes": {"lag": 1, "clock": box.now}}
        load(tmp_path, box.url, **options)
        assert_tables_equal_a_full_read(tmp_path, crm)
        box.clock.advance(3)
        ids = sorted((r.id for r in crm.leads), key=int)
        crm.leads.patch(ids[0], title="edited by the test")
        box.delete(crm, "lead", ids[1])
        crm.leads.create(Lead(title="added by the test"))
        crm.contacts.create(Contact(first_name="Added"))
        box.clock.advance(3)
        load(tmp_path, box.url, **options)
        assert_tables_equal_a_full_read(tmp_path, crm)
