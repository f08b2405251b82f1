"""Export benchmark: every lead of a Bitrix24 emulator through unicrm and through fast-bitrix24.

Serves the emulator over real HTTP (``ServerThread``) with the vendor's limits (leaky bucket 50,
draining 2/s; operating time) and some latency, seeds N leads, then exports them all

* through unicrm (``crm.leads.all()``: keyset pages chained 50 to a ``batch``, parallel ranges),
* through the ``fast-bitrix24`` package (``get_all("crm.lead.list")``), in the same run,

and prints rows/s of both, their ratio (target >= 2x) and the HTTP requests unicrm used per
1,000 rows against the minimum (1,000 / 2,500 = 0.4; target <= 0.5).

Run: ``python bench/bitrix24_export.py --n 200000 --latency 20``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

import unicrm
from unicrm.emulation import ServerThread, free_port
from unicrm_bitrix24.emulator import Bitrix24Emulator

ROWS_PER_REQUEST = 2500


class CountingTransport(httpx.AsyncHTTPTransport):
    """Counts the HTTP requests unicrm makes."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await super().handle_async_request(request)


def export_unicrm(url: str, limits: str, links: str) -> tuple[int, float, int]:
    transport = CountingTransport()
    crm = unicrm.connect(url, transport=transport, limits=limits, contact_links=links)
    crm.pipelines()  # portal metadata: not part of the export figure
    before = transport.count
    started = time.perf_counter()
    rows = sum(1 for _ in crm.leads.all())
    elapsed = time.perf_counter() - started
    crm.close()
    return rows, elapsed, transport.count - before


def export_fast(url: str) -> tuple[int, float]:
    import fast_bitrix24

    logging.getLogger("fast_bitrix24").setLevel(logging.WARNING)
    client = fast_bitrix24.Bitrix(url, verbose=False)
    started = time.perf_counter()
    rows = len(client.get_all("crm.lead.list"))
    return rows, time.perf_counter() - started


@contextlib.contextmanager
def serving(args: argparse.Namespace) -> Iterator[str]:
    """The webhook URL of a seeded emulator, served from a subprocess or a thread."""
    if args.server == "thread":
        emulator = Bitrix24Emulator(limits=args.limits, latency_ms=args.latency)
        emulator.seed(args.n)
        with ServerThread(emulator, port=free_port()) as server:
            yield server.base_url.rstrip("/") + emulator.webhook_path
        return
    command = [
        sys.executable, "-m", "unicrm.cli", "sandbox", "bitrix24", "--port", str(free_port()),
        "--seed", str(args.n), "--limits", args.limits, "--latency", str(args.latency),
    ]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        hook = server.stdout.readline().strip()
        try:
            for _ in range(100):  # wait until it accepts connections
                try:
                    httpx.get(hook + "crm.lead.fields.json", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield hook
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
        "--server",
        default="process",
        choices=("process", "thread"),
        help="serve the emulator from its own process (like a remote portal: the server's CPU"
        " is not the client's) or from a thread of this one",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    with serving(args) as hook:
        print(f"seeded {args.n:,} leads in {time.perf_counter() - started:.1f} s ({args.server})")
        plan = "standard" if args.limits == "vendor" else "off"
        rows, elapsed, requests = export_unicrm(
            hook.replace("http://", "bitrix24+http://"), plan, args.links
        )
        ours = rows / elapsed
        per_1000 = requests * 1000 / max(rows, 1)
        print(f"unicrm ({args.links} links): {rows:,} rows in {elapsed:.1f} s = {ours:,.0f} rows/s")
        print(
            f"requests:      {requests} = {per_1000:.3f} per 1,000 rows "
            f"(minimum {1000 / ROWS_PER_REQUEST:.1f}, target <= 0.5)"
        )
        if not args.skip_fast:
            time.sleep(25)  # let the vendor bucket drain between the two runs
            fast_rows, fast_elapsed = export_fast(hook)
            theirs = fast_rows / fast_elapsed
            print(
                f"fast-bitrix24: {fast_rows:,} rows in {fast_elapsed:.1f} s = {theirs:,.0f} rows/s"
            )
            print(f"ratio:         {ours / theirs:.2f}x (target >= 2x)")


if __name__ == "__main__":
    main()
