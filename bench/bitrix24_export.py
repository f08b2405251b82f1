"""Export benchmark: every lead of a Bitrix24 emulator through unicrm and through fast-bitrix24.

Serves the emulator over real HTTP (``ServerThread``) with the vendor's limits (leaky bucket 50,
draining 2/s; operating time) and some latency, seeds N leads, then exports them all

* through unicrm (``crm.leads.all()``: keyset pages chained 50 to a ``batch``, parallel ranges),
* through the ``fast-bitrix24`` package (``get_all("crm.lead.list")``), in the same run: once
  selecting the columns unicrm reads for a full record (the same export) and once with no
  params (its default select leaves out phones, e-mails and user fields; ``--peer-select``),

and prints rows/s of both, their ratio (target >= 2x) and the HTTP requests unicrm used per
1,000 rows against the minimum (1,000 / 2,500 = 0.4; target <= 0.5). unicrm starts from a fresh
connection, so both figures include reading the portal's metadata (stages, user fields).

Served from its own process, the emulator's CPU time during each export is printed too (Linux):
rows per emulator CPU second is the ceiling any client can reach against it, and busy% says how
much of the export the server spent working. ``--rounds N`` repeats both exports N times,
alternating, and prints the median of each (the machine is shared: single runs vary).

Run: ``python bench/bitrix24_export.py --n 200000 --latency 20``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import attrs
import httpx

import unicrm
from unicrm.emulation import ServerThread, free_port
from unicrm.model import EntityKind
from unicrm_bitrix24.adapter import SELECT
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.fields import LEAD_USER_FIELDS

ROWS_PER_REQUEST = 2500
#: Seconds between exports, so the vendor bucket (50, draining 2/s) is empty for each.
DRAIN = 25.0


class CountingTransport(httpx.AsyncHTTPTransport):
    """Counts the HTTP requests unicrm makes."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await super().handle_async_request(request)


def export_unicrm(url: str, limits: str, links: str) -> Run:
    transport = CountingTransport()
    crm = unicrm.connect(url, transport=transport, limits=limits, contact_links=links)
    # a fresh connection: the figure includes reading the portal's metadata (stages, user
    # fields), which rides along with the export's first request
    started = time.perf_counter()
    rows = sum(1 for _ in crm.leads.all())
    elapsed = time.perf_counter() - started
    crm.close()
    return Run(rows, elapsed, transport.count)


@attrs.frozen
class Peer:
    """How fast-bitrix24 is run: what it selects, and what its ratio to unicrm means."""

    select: list[str] | None
    aim: str


#: "same": the columns unicrm reads for a full record (standard fields, user fields, phones,
#: e-mails, web, messengers, links, contact ids, and by name the multiple user fields, which
#: ``UF_*`` leaves out: the seeded portal's) - the same export, which the 2x target applies to;
#: "default": ``get_all("crm.lead.list")`` with no params, whose default select leaves out the
#: phones, e-mails and user fields (fewer columns per row: shown for reference).
PEERS: dict[str, Peer] = {
    "same": Peer(
        [*SELECT[EntityKind.LEAD], *(f.code for f in LEAD_USER_FIELDS if f.multiple)],
        "target >= 2x",
    ),
    "default": Peer(None, "the peer reads fewer columns: shown for reference"),
}


def export_fast(url: str, select: list[str] | None) -> Run:
    import fast_bitrix24

    logging.getLogger("fast_bitrix24").setLevel(logging.WARNING)
    client = fast_bitrix24.Bitrix(url, verbose=False)
    started = time.perf_counter()
    with warnings.catch_warnings():  # "selecting all fields and no filter": that is the point
        warnings.simplefilter("ignore")
        params = {"select": select} if select is not None else None
        rows = len(client.get_all("crm.lead.list", params=params))
    return Run(rows, time.perf_counter() - started)


def median_run(runs: list[Run]) -> Run:
    """The run with the median rate (the middle one of an odd count)."""
    return sorted(runs, key=lambda r: r.rate)[(len(runs) - 1) // 2]


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system) used so far by process ``pid`` (Linux ``/proc``), or None."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@attrs.frozen
class Run:
    """One export: rows, wall seconds, HTTP requests (unicrm only), server CPU seconds."""

    rows: int
    seconds: float
    requests: int | None = None
    server_cpu: float | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    def server_note(self) -> str:
        if self.server_cpu is None or self.server_cpu <= 0:
            return ""
        ceiling = self.rows / self.server_cpu
        busy = 100 * self.server_cpu / self.seconds
        return (
            f"; emulator CPU {self.server_cpu:.1f} s ({busy:.0f}% busy, "
            f"ceiling {ceiling:,.0f} rows/s)"
        )


def measured(server_pid: int | None, export: Callable[[], Run]) -> Run:
    before = cpu_seconds(server_pid)
    run = export()
    after = cpu_seconds(server_pid)
    used = after - before if before is not None and after is not None else None
    return attrs.evolve(run, server_cpu=used)


@contextlib.contextmanager
def serving(args: argparse.Namespace) -> Iterator[tuple[str, int | None]]:
    """The webhook URL of a seeded emulator (served from a subprocess or a thread) and the
    serving process id when it has its own."""
    if args.server == "thread":
        emulator = Bitrix24Emulator(limits=args.limits, latency_ms=args.latency)
        emulator.seed(args.n)
        with ServerThread(emulator, port=free_port()) as server:
            yield server.base_url.rstrip("/") + emulator.webhook_path, None
        return
    command = [
        sys.executable, "-m", "unicrm.cli", "sandbox", "bitrix24", "--port", str(free_port()),
        "--seed", str(args.n), "--limits", args.limits, "--latency", str(args.latency),
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        hook = server.stdout.readline().strip()
        try:
            # wait until it accepts connections - without a REST call, which the portal's
            # bucket would count against the first export
            address = urlsplit(hook)
            for _ in range(100):
                try:
                    socket.create_connection(
                        (address.hostname, address.port or 80), timeout=1
                    ).close()
                    break
                except OSError:
                    time.sleep(0.1)
            yield hook, server.pid
        finally:
            server.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="leads to seed")
    parser.add_argument("--latency", type=float, default=20.0, help="server latency, ms")
    parser.add_argument("--limits", default="vendor", choices=("vendor", "off"))
    parser.add_argument(
        "--links", default="primary", choices=("primary", "exact"), help="contact_links option"
    )
    parser.add_argument("--skip-fast", action="store_true", help="unicrm only")
    parser.add_argument(
        "--peer-select",
        default="both",
        choices=("same", "default", "both"),
        help="fast-bitrix24 selects the columns unicrm reads (same), its default columns, or"
        " both one after the other",
    )
    parser.add_argument(
        "--server",
        default="process",
        choices=("process", "thread"),
        help="serve the emulator from its own process (like a remote portal: the server's CPU"
        " is not the client's) or from a thread of this one",
    )
    parser.add_argument("--rounds", type=int, default=1, help="alternate runs; medians")
    args = parser.parse_args()

    started = time.perf_counter()
    with serving(args) as (hook, pid):
        print(f"seeded {args.n:,} leads in {time.perf_counter() - started:.1f} s ({args.server})")
        plan = "standard" if args.limits == "vendor" else "off"
        ours_runs: list[Run] = []
        peers = list(PEERS) if args.peer_select == "both" else [args.peer_select]
        theirs_runs: dict[str, list[Run]] = {peer: [] for peer in peers}
        for round_no in range(max(1, args.rounds)):
            if round_no:
                time.sleep(DRAIN)
            url = hook.replace("http://", "bitrix24+http://")
            run = measured(pid, lambda: export_unicrm(url, plan, args.links))  # noqa: B023
            ours_runs.append(run)
            if args.rounds > 1:
                print(f"  round {round_no + 1}: unicrm {run.rate:,.0f} rows/s{run.server_note()}")
            for peer in [] if args.skip_fast else peers:
                time.sleep(DRAIN)
                select = PEERS[peer].select
                run = measured(pid, lambda: export_fast(hook, select))  # noqa: B023
                theirs_runs[peer].append(run)
                if args.rounds > 1:
                    print(
                        f"  round {round_no + 1}: fast-bitrix24 ({peer} select) "
                        f"{run.rate:,.0f} rows/s"
                    )
        ours = median_run(ours_runs)
        requests = ours.requests or 0
        per_1000 = requests * 1000 / max(ours.rows, 1)
        label = "median of " + str(len(ours_runs)) if len(ours_runs) > 1 else "one run"
        print(
            f"unicrm ({args.links} links): {ours.rows:,} rows in {ours.seconds:.1f} s = "
            f"{ours.rate:,.0f} rows/s ({label}){ours.server_note()}"
        )
        print(
            f"requests:      {requests} = {per_1000:.3f} per 1,000 rows "
            f"(minimum {1000 / ROWS_PER_REQUEST:.1f}, target <= 0.5)"
        )
        for peer, runs in theirs_runs.items():
            if not runs:
                continue
            theirs = median_run(runs)
            print(
                f"fast-bitrix24 ({peer} select): {theirs.rows:,} rows in {theirs.seconds:.1f} s = "
                f"{theirs.rate:,.0f} rows/s ({label}){theirs.server_note()}"
            )
            aim = PEERS[peer].aim
            print(f"ratio vs {peer} select: {ours.rate / theirs.rate:.2f}x ({aim})")


if __name__ == "__main__":
    main()
