"""The crash-safety protocol with a PostgreSQL ledger: a migration SIGKILLed at random moments
and resumed ends exact, with nothing written twice.

Each run is a child process holding both amoCRM emulators in-process on SQLite files (so a
write the target committed survives the kill, with or without its ledger entry) and the
ledger in a fresh PostgreSQL schema. The parent kills runs at random moments, lets the last one
finish, then verifies field by field through the same ledger URL and counts the target's
origin markers.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

import unicrm
from unicrm.emulation import EmulatorTransport
from unicrm.migrate import Ledger, verify

emulator_module = pytest.importorskip("unicrm_amocrm.emulator")

LEADS, SOURCE, TARGET = 600, "amocrm://source.amocrm.ru", "amocrm://target.amocrm.ru"

RUN = textwrap.dedent(
    """
    import asyncio, sys
    import unicrm
    from unicrm.emulation import EmulatorTransport
    from unicrm.migrate import Ledger, MigrateOptions, migrate
    from unicrm_amocrm.emulator import AmoCRMEmulator

    source_db, target_db, ledger_url = sys.argv[1:4]

    def connect(url, db):
        emulator = AmoCRMEmulator(db=db, limits="off", latency_ms=15)
        transport = EmulatorTransport(emulator)
        return unicrm.connect_async(
            url, token=emulator.long_lived_token, transport=transport, rate=10_000
        )

    async def main():
        src, dst = connect(sys.argv[4], source_db), connect(sys.argv[5], target_db)
        with Ledger(ledger_url) as ledger:
            report = await migrate(
                src, dst, ledger=ledger, options=MigrateOptions(resume=True, batch_size=5),
                source_label=sys.argv[4], target_label=sys.argv[5],
            )
        print(report.state, flush=True)

    asyncio.run(main())
    """
)


def _connect(url: str, db: Path) -> unicrm.AsyncCRM:
    emulator = emulator_module.AmoCRMEmulator(db=str(db), limits="off")
    return unicrm.connect_async(
        url, token=emulator.long_lived_token, transport=EmulatorTransport(emulator), rate=10_000
    )


@pytest.mark.slow
def test_sigkilled_runs_resume_exactly_with_a_postgres_ledger(
    tmp_path: Path, pg_schema_url: str
) -> None:
    source_db, target_db = tmp_path / "source.sqlite", tmp_path / "target.sqlite"
    emulator_module.AmoCRMEmulator(db=str(source_db), limits="off", random_seed=3).seed(LEADS)
    emulator_module.AmoCRMEmulator(db=str(target_db), limits="off", random_seed=9).seed(0)
    ledger_url = pg_schema_url + "&ledger=crash"
    command = [
        sys.executable,
        "-c",
        RUN,
        str(source_db),
        str(target_db),
        ledger_url,
        SOURCE,
        TARGET,
    ]
    rng = random.Random(7)
    kills = 0
    pending_left: list[int] = []  # records a killed run left pending (the recovery path)
    started = time.monotonic()
    for _ in range(6):
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(1.0, 2.0))
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            kills += 1
        run.communicate(timeout=60)
        with Ledger(ledger_url) as ledger:
            pending_left.append(sum(c["pending"] for c in ledger.counts().values()))
    final = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert final.returncode == 0, final.stderr[-3000:]
    assert final.stdout.strip() == "complete"
    assert kills >= 3, f"only {kills} runs were killed: the crash points came too late"
    assert max(pending_left) > 0, pending_left  # some kill landed between pending and done

    async def check() -> None:
        src, dst = _connect(SOURCE, source_db), _connect(TARGET, target_db)
        with Ledger(ledger_url) as ledger:
            result = await verify(src, dst, ledger=ledger, source_label=SOURCE)
            assert result.differences == 0, result.as_dict()
            assert result.counts["lead"] == {"source": LEADS, "target": LEADS, "ledger": LEADS}
            assert ledger.counts()["lead"] == {"pending": 0, "done": LEADS}
            assert len(ledger.runs()) >= kills + 1
        leads = [lead async for page in dst.leads.all().pages() for lead in page]
        origins = Counter(lead.origin for lead in leads)
        assert len(leads) == LEADS and max(origins.values()) == 1  # nothing written twice
        await src.aclose()
        await dst.aclose()

    asyncio.run(check())
    print(
        f"\n{kills} SIGKILLs (pending records left behind: {pending_left}), "
        f"{time.monotonic() - started:.1f} s in all"
    )
