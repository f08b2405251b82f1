"""Migrations through the vendor sandboxes: end to end, under faults, and across SIGKILLs.

Sandboxes are found through ``unicrm.plugins.sandboxes()`` like the CLI does; a test whose
sandbox is not installed is skipped with the reason.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import unicrm
from unicrm.emulation import FAULT_KINDS, SandboxOptions, ServerThread
from unicrm.migrate import Ledger, MigrateOptions, migrate, verify
from unicrm.plugins import sandboxes

pytestmark = pytest.mark.anyio


def _spec(name: str) -> Any:
    found = {s.name: s for s in sandboxes()}
    if name not in found:
        pytest.skip(f"no {name} sandbox registered")
    return found[name]


class Box:
    """A sandbox served over HTTP on a background thread, and how to connect to it."""

    def __init__(self, vendor: str, **options: Any) -> None:
        spec = _spec(vendor)
        try:
            self.sandbox = spec.create(SandboxOptions(**options))
        except ImportError as exc:
            pytest.skip(f"{vendor} sandbox not available: {exc}")
        self.vendor = vendor
        self.server = ServerThread(self.sandbox.emulator, hang_seconds=1.0)
        words = {
            line.split()[0]: line.split()[1]
            for line in self.sandbox.banner[1:]
            if len(line.split()) == 2
        }
        self.options = {"token": words["token"]} if "token" in words else {}
        self.url = ""

    def __enter__(self) -> Box:
        self.server.start()
        base = self.server.base_url.split("://", 1)[1]
        path = urlsplit(self.sandbox.banner[0]).path.rstrip("/")  # Bitrix24: /rest/USER/CODE
        self.url = f"{self.vendor}+http://{base}{path}" + ("/" if path else "")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def connect(self, **extra: Any) -> unicrm.AsyncCRM:
        return unicrm.connect_async(self.url, **self.options, **extra)

    def connect_unlimited(self, **extra: Any) -> unicrm.AsyncCRM:
        """Without the client's own vendor limiter (for a server whose limits are off: a
        test of faults should not wait on a limiter that models limits nobody enforces)."""
        unlimited = {"bitrix24": {"limits": "off"}, "amocrm": {"rate": 10_000}}[self.vendor]
        return self.connect(**unlimited, **extra)


@pytest.fixture
def amo_source() -> Iterator[Box]:
    with Box("amocrm", seed=120, limits="off", random_seed=3) as box:
        yield box


async def _migrate(
    src: unicrm.AsyncCRM, dst: unicrm.AsyncCRM, ledger: Ledger, **options: Any
) -> Any:
    return await migrate(
        src,
        dst,
        ledger=ledger,
        options=MigrateOptions(**options),
        source_label="src",
        target_label="dst",
    )


async def _migrate_verified(src: Any, dst: Any, ledger_path: Path) -> tuple[Any, Any]:
    """Migrate, check the run completed, verify, check zero differences; both reports."""
    with Ledger(ledger_path) as ledger:
        report = await _migrate(src, dst, ledger)
        assert report.state == "complete", report.errors
        result = await verify(src, dst, ledger=ledger, source_label="src")
    assert result.differences == 0, result.as_dict()
    return report, result


async def test_amocrm_to_memory_and_back_to_amocrm(
    amo_source: Box, store_names: Any, seed: Any, tmp_path: Path
) -> None:
    src = amo_source.connect()
    mem = unicrm.connect_async(f"memory://{store_names[1]}")
    _report, result = await _migrate_verified(src, mem, tmp_path / "a.db")
    assert result.counts["lead"]["source"] == 120
    # memory (with long unicode texts, no phones, select values) -> a fresh amoCRM
    edge = unicrm.connect_async(f"memory://{store_names[0]}")
    # amoCRM text fields hold 256 characters: long texts are covered by the memory tests
    await seed(edge, contacts=20, leads=30, long_texts=False)
    with Box("amocrm", seed=0, limits="vendor") as target:
        dst = target.connect()
        report, _result = await _migrate_verified(edge, dst, tmp_path / "b.db")
        assert "amount.fraction" in report.target_lacks["lead"]
        await dst.aclose()
    await src.aclose()


async def test_bitrix24_to_memory_and_memory_with_long_texts_to_bitrix24(
    store_names: Any, seed: Any, tmp_path: Path
) -> None:
    with Box("bitrix24", seed=120, limits="off", random_seed=8) as portal:
        src = portal.connect_unlimited()
        mem = unicrm.connect_async(f"memory://{store_names[1]}")
        _report, result = await _migrate_verified(src, mem, tmp_path / "a.db")
        assert result.counts["lead"]["source"] == result.counts["lead"]["target"] == 120
        await src.aclose()
    # memory (long unicode texts, no phones, select values, fractional amounts) -> a fresh
    # portal, which holds long comments, fractions and several currencies as they are
    edge = unicrm.connect_async(f"memory://{store_names[0]}")
    await seed(edge, contacts=20, leads=30, long_texts=True)
    with Box("bitrix24", seed=0, limits="off") as target:
        dst = target.connect_unlimited()
        await _migrate_verified(edge, dst, tmp_path / "b.db")
        long_ones = [c for c in await dst.contacts.all().to_list() if len(c.comments or "") > 5000]
        assert len(long_ones) == 1
        await dst.aclose()


@pytest.mark.parametrize(
    ("source", "target"),
    [
        pytest.param("bitrix24", "amocrm", id="b24-amo"),
        pytest.param("amocrm", "bitrix24", id="amo-b24"),
    ],
)
async def test_between_the_two_vendors_both_ways(source: str, target: str, tmp_path: Path) -> None:
    with (
        Box(source, seed=120, limits="off", random_seed=4) as from_box,
        Box(target, seed=0, limits="off", random_seed=5) as to_box,
    ):
        src, dst = from_box.connect(), to_box.connect()
        _report, result = await _migrate_verified(src, dst, tmp_path / "v.db")
        assert result.counts["lead"]["source"] == result.counts["lead"]["target"] == 120
        assert result.counts["contact"]["source"] == result.counts["contact"]["target"] > 0
        await src.aclose()
        await dst.aclose()


@pytest.mark.parametrize(
    ("source", "target"),
    [("amocrm", "amocrm"), ("bitrix24", "amocrm"), ("amocrm", "bitrix24")],
    ids=["amo-amo", "b24-amo", "amo-b24"],
)
async def test_migration_completes_exactly_under_ten_percent_faults(
    source: str, target: str, tmp_path: Path
) -> None:
    with (
        Box(source, seed=150, limits="off", faults=0.1, random_seed=5) as from_box,
        Box(target, seed=0, limits="off", faults=0.1, random_seed=6) as to_box,
    ):
        src, dst = from_box.connect_unlimited(timeout=3.0), to_box.connect_unlimited(timeout=3.0)
        with Ledger(tmp_path / "f.db") as ledger:
            report = await _migrate(src, dst, ledger, batch_size=2)
            assert report.state == "complete", report.errors
        injected: Counter[str] = Counter()
        for box in (from_box, to_box):
            injected.update(box.sandbox.emulator.faults.injected)
            box.sandbox.emulator.set_faults(0.0)  # verify through fault-free servers
        # every kind of fault really happened during the run, and not just once or twice
        assert set(injected) == set(FAULT_KINDS), injected
        assert sum(injected.values()) >= 10, injected
        with Ledger(tmp_path / "f.db") as ledger:
            result = await verify(src, dst, ledger=ledger, source_label="src")
        assert result.differences == 0, result.as_dict()
        assert result.counts["lead"] == {"source": 150, "target": 150, "ledger": 150}
        await src.aclose()
        await dst.aclose()


def _write_config(
    path: Path, boxes: list[Box], extra: dict[str, dict[str, str]] | None = None
) -> None:
    """The CLI's config file: each box's secrets (amoCRM: the token; Bitrix24 keeps its
    webhook code in the URL path, so its table carries only options) under its exact URL."""
    lines = []
    for box in boxes:
        lines.append(f'[urls."{box.url}"]')
        options = {**box.options, **(extra or {}).get(box.vendor, {})}
        lines += [f'{key} = "{value}"' for key, value in options.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _migrate_command(source: Box, target: Box, ledger: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "unicrm.cli",
        "migrate",
        "--from",
        source.url,
        "--to",
        target.url,
        "--ledger",
        str(ledger),
        "--resume",
        "--batch-size",
        "5",
        "--quiet",
        "--json",
    ]


def _kill_at_random_points(
    command: list[str], env: dict[str, str], runs: int, window: tuple[float, float]
) -> int:
    """Start the migration ``runs`` times, SIGKILL each at a random moment; returns how many
    were killed (the others finished first)."""
    rng = random.Random(42)
    kills = 0
    for _ in range(runs):
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(*window))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate(timeout=30)
    return kills


async def test_crash_and_resume_with_sigkill_leaves_target_exact(
    amo_source: Box, tmp_path: Path
) -> None:
    db = tmp_path / "target.sqlite"
    with Box("amocrm", seed=0, limits="off", db=str(db), random_seed=9) as target:
        config = tmp_path / "config.toml"
        _write_config(config, [amo_source, target])
        env = {**os.environ, "UNICRM_CONFIG": str(config), "NO_COLOR": "1"}
        ledger_path = tmp_path / "run.db"
        command = _migrate_command(amo_source, target, ledger_path)
        kills = _kill_at_random_points(command, env, runs=6, window=(1.0, 2.2))
        final = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert final.returncode == 0, final.stderr
        assert kills >= 2
        src, dst = amo_source.connect(), target.connect()
        with Ledger(ledger_path) as ledger:
            result = await verify(src, dst, ledger=ledger, source_label=amo_source.url)
        assert result.differences == 0, result.as_dict()
        assert result.counts["contact"]["target"] == result.counts["contact"]["source"]
        assert result.counts["lead"] == {"source": 120, "target": 120, "ledger": 120}
        all_leads = [r async for page in dst.leads.all().pages() for r in page]
        assert len(all_leads) == 120  # nothing but the migrated leads, no duplicates
        verify_cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "unicrm.cli",
                "verify",
                "--from",
                amo_source.url,
                "--to",
                target.url,
                "--ledger",
                str(ledger_path),
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert verify_cli.returncode == 0, verify_cli.stdout + verify_cli.stderr
        assert '"differences": 0' in verify_cli.stdout


def _duplicated_origins(box: Box) -> dict[str, list[Any]]:
    """Origin markers carried by more than one target record, read from the Bitrix24 portal's
    own tables (what a crash between a write and its ledger entry would leave behind)."""
    store = box.sandbox.emulator.store
    return {
        entity: [
            tuple(row)
            for row in store.query(
                f"SELECT ORIGIN_ID, COUNT(*) FROM {entity} WHERE ORIGINATOR_ID='unicrm' "
                "GROUP BY ORIGIN_ID HAVING COUNT(*) > 1"
            )
        ]
        for entity in ("lead", "contact")
    }


async def test_crash_and_resume_into_bitrix24_with_sigkill_leaves_target_exact(
    amo_source: Box, tmp_path: Path
) -> None:
    db = tmp_path / "portal.sqlite"
    with Box("bitrix24", seed=0, limits="off", db=str(db), random_seed=9) as target:
        config = tmp_path / "config.toml"
        _write_config(config, [amo_source, target], extra={"bitrix24": {"limits": "off"}})
        env = {**os.environ, "UNICRM_CONFIG": str(config), "NO_COLOR": "1"}
        ledger_path = tmp_path / "run.db"
        command = _migrate_command(amo_source, target, ledger_path)
        kills = _kill_at_random_points(command, env, runs=5, window=(0.8, 2.0))
        final = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if kills < 2:
            pytest.fail(f"only {kills} of the runs were killed: the crash points are too late")
        duplicated = _duplicated_origins(target)
        if duplicated != {"lead": [], "contact": []}:
            pytest.fail(f"source records written twice to the portal: {duplicated}")
        store = target.sandbox.emulator.store
        with Ledger(ledger_path) as ledger:
            done = {e: c["done"] for e, c in ledger.counts().items()}
        held = {"lead": store.count("lead"), "contact": store.count("contact")}
        if any(held[e] != done[e] for e in held):
            pytest.fail(f"portal records {held} differ from the ledger's done entries {done}")
        assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-2000:]
        src, dst = amo_source.connect(), target.connect(limits="off")
        with Ledger(ledger_path) as ledger:
            result = await verify(src, dst, ledger=ledger, source_label=amo_source.url)
        assert result.differences == 0, result.as_dict()
        assert result.counts["lead"] == {"source": 120, "target": 120, "ledger": 120}
        assert result.counts["contact"]["target"] == result.counts["contact"]["source"]
        await src.aclose()
        await dst.aclose()
