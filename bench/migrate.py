"""Benchmark: Bitrix24 emulator -> amoCRM emulator, both with vendor limits, over real HTTP.

Prints the migration rate (records written per second) against the target's write ceiling
(7 requests/s x the write batch size) and the ratio. The issue's target is >= 70%.

    python bench/migrate.py                 # 20,000 leads (+ the seeder's contacts and links)
    python bench/migrate.py --leads 2000    # a quicker run
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from unicrm.cli.cmd_demo import _run, running
from unicrm.emulation import SandboxOptions, free_port

TARGET_RATE = 7  # amoCRM requests per second per integration
BATCH = 50  # the amoCRM adapter's default write batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--source", default="bitrix24")
    parser.add_argument("--target", default="amocrm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        source_options = SandboxOptions(
            port=free_port(),
            seed=args.leads,
            limits="vendor",
            random_seed=1,
            db=str(Path(directory) / "source.sqlite"),
        )
        target_options = SandboxOptions(
            port=free_port(),
            seed=0,
            limits="vendor",
            random_seed=2,
            db=str(Path(directory) / "target.sqlite"),
        )
        with (
            running(args.source, source_options) as source,
            running(args.target, target_options) as target,
        ):
            seeded = time.perf_counter() - started
            report, checked = asyncio.run(_run(source, target, Path(directory) / "ledger.db", True))
    written = report.written
    rate = written / report.seconds if report.seconds else 0.0
    ceiling = TARGET_RATE * BATCH
    print(f"seeded {args.leads} leads in {seeded:.1f} s")
    for entity, stats in report.entities.items():
        print(
            f"{entity}s: read {stats.read}, written {stats.written}, "
            f"failed {stats.failed}, {stats.seconds:.1f} s"
        )
    print(f"migrated {written} records in {report.seconds:.1f} s: {rate:.1f} records/s")
    print(
        f"target write ceiling: {ceiling} records/s ({TARGET_RATE} req/s x {BATCH}); "
        f"ratio {rate / ceiling:.0%} (target >= 70%)"
    )
    print(f"verify: {checked.differences} differences")


if __name__ == "__main__":
    main()
