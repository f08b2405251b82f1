"""Benchmark: Bitrix24 emulator -> amoCRM emulator, both with vendor limits, over real HTTP.

Prints the migration rate (records written per second, every entity the two adapters have:
companies, contacts, leads, deals) against the target's write ceiling (7 requests/s x the
write batch size) and the ratio. The issue's target is >= 70%.

Each emulator is served from its own process by default (``--server process``: ``unicrm
sandbox <vendor>``), as the vendors' servers are remote: their CPU is not the client's, and
the arrival times their rate limits count are not delayed by the client's own work.
``--server thread`` serves both from threads of this process, as ``unicrm demo`` does.

    python bench/migrate.py                 # 20,000 contacts and 20,000 leads with links
    python bench/migrate.py --leads 2000    # a quicker run (2,000 of each)
    python bench/migrate.py --leads 2000 --deals 2000 --companies 1000   # the whole CRM

The sandboxes seed deals and companies only where their seeders do, and the migration moves
them only where both adapters have them (``Capabilities.entities``); the per-entity lines say
what moved.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from unicrm.cli.cmd_demo import _run, connection_of, running
from unicrm.emulation import SandboxOptions, free_port

TARGET_RATE = 7  # amoCRM requests per second per integration
BATCH = 50  # the amoCRM adapter's default write batch


@contextlib.contextmanager
def serving_process(vendor: str, options: SandboxOptions) -> Iterator[tuple[str, dict[str, Any]]]:
    """``unicrm sandbox <vendor>`` in a subprocess; yields how to connect (from its banner)."""
    command = [
        sys.executable, "-m", "unicrm.cli", "sandbox", vendor, "--port", str(options.port),
        "--seed", str(options.seed), "--limits", options.limits,
        "--random-seed", str(options.random_seed),
    ]  # fmt: skip
    for flag, value in (
        ("--contacts", options.contacts),
        ("--deals", options.deals),
        ("--companies", options.companies),
    ):
        if value is not None:
            command += [flag, str(value)]
    if options.db:
        command += ["--db", options.db]
    lines: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as server:
        assert server.stdout is not None
        stdout = server.stdout
        reader = threading.Thread(
            target=lambda: lines.extend(line.strip() for line in stdout), daemon=True
        )
        reader.start()
        try:
            base = f"http://127.0.0.1:{options.port}/"
            deadline = time.monotonic() + 600  # seeding 20,000 leads takes a few seconds
            while time.monotonic() < deadline:
                if server.poll() is not None:
                    raise SystemExit(f"the {vendor} sandbox exited with {server.returncode}")
                try:
                    httpx.get(base, timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            time.sleep(0.3)  # the banner is printed before serving; let the reader catch up
            yield connection_of(tuple(lines), vendor)
        finally:
            server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=None, help="default: as many as leads")
    parser.add_argument("--deals", type=int, default=0, help="deals to seed (default: none)")
    parser.add_argument("--companies", type=int, default=0, help="companies to seed (default: 0)")
    parser.add_argument("--source", default="bitrix24")
    parser.add_argument("--target", default="amocrm")
    parser.add_argument("--server", default="process", choices=("process", "thread"))
    args = parser.parse_args()
    serve = serving_process if args.server == "process" else running
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        source_options = SandboxOptions(
            port=free_port(),
            seed=args.leads,
            contacts=args.leads if args.contacts is None else args.contacts,
            deals=args.deals,
            companies=args.companies,
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
            serve(args.source, source_options) as source,
            serve(args.target, target_options) as target,
        ):
            seeded = time.perf_counter() - started
            report, checked = asyncio.run(_run(source, target, Path(directory) / "ledger.db", True))
    written = report.written
    rate = written / report.seconds if report.seconds else 0.0
    ceiling = TARGET_RATE * BATCH
    print(
        f"seeded {args.leads} leads, {source_options.contacts} contacts, {args.deals} deals and "
        f"{args.companies} companies in {seeded:.1f} s (servers: {args.server})"
    )
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
