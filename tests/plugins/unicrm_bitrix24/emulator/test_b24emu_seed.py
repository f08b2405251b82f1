"""The seeder: exact counts, determinism, realistic and consistent content; sandbox factory."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from unicrm.emulation import SandboxOptions
from unicrm_bitrix24.emulator import Bitrix24Emulator, make_sandbox

from .conftest import WEBHOOK, post_json

Ok = Callable[..., Any]


def _dump(emu: Bitrix24Emulator) -> list[Any]:
    rows = emu.store.query("SELECT * FROM lead ORDER BY ID")
    contacts = emu.store.query("SELECT * FROM contact ORDER BY ID")
    fm = emu.store.query("SELECT OWNER_ID, TYPE_ID, VALUE FROM fm ORDER BY ID")
    links = emu.store.query("SELECT * FROM lead_contact ORDER BY LEAD_ID, CONTACT_ID")
    return [[tuple(r) for r in part] for part in (rows, contacts, fm, links)]


def test_counts() -> None:
    emu = Bitrix24Emulator(limits="off")
    emu.seed(400)
    assert emu.store.count("lead") == 400
    assert emu.store.count("contact") == 300


def test_contact_count_can_be_chosen() -> None:
    emu = Bitrix24Emulator(limits="off")
    emu.seed(40, contacts=100)
    assert (emu.store.count("lead"), emu.store.count("contact")) == (40, 100)
    linked = emu.store.query("SELECT DISTINCT CONTACT_ID FROM lead_contact")
    assert linked and all(r[0] > 0 for r in linked)
    only = Bitrix24Emulator(limits="off")
    only.seed(0, contacts=7)
    assert (only.store.count("lead"), only.store.count("contact")) == (0, 7)
    box = make_sandbox(SandboxOptions(port=1, seed=5, contacts=9, limits="off"))
    assert "5 leads, 9 contacts" in box.banner[1]


def test_seed_zero_keeps_schema_and_reference_data(ok: Ok, emu: Bitrix24Emulator) -> None:
    emu.seed(0)
    assert ok("crm.lead.list")["total"] == 0
    assert ok("crm.contact.list")["total"] == 0
    assert len(ok("crm.status.list", filter={"ENTITY_ID": "STATUS"})["result"]) >= 5
    assert "UF_CRM_PRIORITY" in ok("crm.lead.fields")["result"]
    assert ok("crm.lead.userfield.list")["total"] >= 5


def test_deterministic_by_n_and_random_seed() -> None:
    a, b, c = (Bitrix24Emulator(random_seed=s) for s in (7, 7, 8))
    for emu in (a, b, c):
        emu.seed(150)
    assert _dump(a) == _dump(b)
    assert _dump(a) != _dump(c)


def test_content_is_realistic_and_consistent() -> None:
    emu = Bitrix24Emulator(limits="off", webhook=WEBHOOK)
    emu.seed(600)
    leads = emu.store.query("SELECT * FROM lead")
    names = {r["NAME"] for r in leads if r["NAME"]}
    assert any(re.search("[\u0400-\u04ff]", n) for n in names)  # ru_RU
    assert any(re.fullmatch("[A-Za-z' -]+", n) for n in names)  # en_US
    assert len({r["STATUS_ID"] for r in leads}) >= 6
    assert len({r["SOURCE_ID"] for r in leads}) >= 8
    assert len({r["ASSIGNED_BY_ID"] for r in leads}) >= 4
    for r in leads:
        semantic = {"CONVERTED": "S", "JUNK": "F", "UC_NO_BUDGET": "F"}.get(r["STATUS_ID"], "P")
        assert r["STATUS_SEMANTIC_ID"] == semantic
        assert (r["DATE_CLOSED"] is None) == (semantic == "P")
    # HAS_PHONE agrees with the multifields, and VALUE_TYPEs vary
    status, body = post_json(
        emu, "crm.lead.list", {"select": ["ID", "HAS_PHONE", "PHONE"], "start": -1}
    )
    assert status == 200
    for row in body["result"]:
        assert (row["HAS_PHONE"] == "Y") == ("PHONE" in row)
    types = {r[0] for r in emu.store.query("SELECT VALUE_TYPE FROM fm WHERE TYPE_ID='PHONE'")}
    assert {"MOBILE", "WORK"} <= types
    assert emu.store.scalar("SELECT COUNT(*) FROM fm WHERE TYPE_ID='EMAIL'") > 300
    # links: primary contact mirrored on the lead
    linked = emu.store.query(
        "SELECT l.ID, l.CONTACT_ID, lc.CONTACT_ID AS P FROM lead l "
        "JOIN lead_contact lc ON lc.LEAD_ID = l.ID AND lc.IS_PRIMARY='Y'"
    )
    assert len(linked) > 200
    assert all(r["CONTACT_ID"] == r["P"] for r in linked)
    # user fields of several types are filled
    filled = emu.store.scalar(
        "SELECT COUNT(*) FROM lead WHERE UF_CRM_PRIORITY IS NOT NULL AND UF_CRM_BUDGET LIKE '%|%'"
    )
    assert filled > 100


def test_seed_adds_on_top(emu: Bitrix24Emulator) -> None:
    emu.seed(10)
    emu.seed(5)
    assert emu.store.count("lead") == 15
    assert emu.store.max_id("lead") == 15


def test_make_sandbox_banner_and_db_reopen(tmp_path: Path) -> None:
    db = str(tmp_path / "b24.sqlite")
    opts = SandboxOptions(port=8024, seed=25, db=db, webhook="3/abcdef123", limits="off")
    sandbox = make_sandbox(opts)
    assert sandbox.banner[0] == "http://127.0.0.1:8024/rest/3/abcdef123/"
    emu = sandbox.emulator
    assert isinstance(emu, Bitrix24Emulator)
    assert emu.store.count("lead") == 25
    emu.close()
    again = make_sandbox(SandboxOptions(port=8025, seed=25, db=db, limits="off"))
    assert isinstance(again.emulator, Bitrix24Emulator)
    assert again.emulator.store.count("lead") == 25  # reopened, not reseeded
    assert again.banner[0] == "http://127.0.0.1:8025/rest/3/abcdef123/"
    again.emulator.close()


def test_make_sandbox_in_memory_defaults() -> None:
    sandbox = make_sandbox(SandboxOptions(port=9000, seed=3))
    assert re.fullmatch(r"http://127\.0\.0\.1:9000/rest/1/[a-z0-9]{16}/", sandbox.banner[0])
    assert isinstance(sandbox.emulator, Bitrix24Emulator)
    assert sandbox.emulator.store.count("lead") == 3
    assert sandbox.emulator.limits == "vendor"
