"""Export benchmark: every lead of an amoCRM emulator through unicrm, over real HTTP.

Serves the emulator (vendor limits on, some latency) with ``ServerThread``, seeds N leads,
exports them with ``crm.leads.all()`` and prints

* rows/s against the ceiling the vendor's limits imply (7 requests/s x 250 rows = 1,750 rows/s),
* requests per 1,000 rows against the minimum (1,000 / 250 = 4).

Target: at least 85% of the ceiling. Run: ``python bench/amocrm_export.py --n 50000``.
"""

from __future__ import annotations

import argparse
import time

import httpx

import unicrm
from unicrm.emulation import SandboxOptions, ServerThread, free_port
from unicrm_amocrm.emulator import make_sandbox

RATE = 7
PAGE = 250


class CountingTransport(httpx.AsyncHTTPTransport):
    """Counts the HTTP requests the export makes (seeding and schema reads excluded later)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await super().handle_async_request(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="leads to seed and export")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()

    port = free_port()
    started = time.perf_counter()
    sandbox = make_sandbox(
        SandboxOptions(port=port, seed=args.n, limits="vendor", latency_ms=args.latency_ms)
    )
    print(f"seeded {args.n} leads in {time.perf_counter() - started:.1f} s")
    token = sandbox.banner[1].split(" ", 1)[1]
    transport = CountingTransport()
    with ServerThread(sandbox.emulator, port=port) as server:
        url = server.base_url.replace("http://", "amocrm+http://")
        crm = unicrm.connect(url, token=token, transport=transport)
        crm.pipelines()  # account metadata is read once, before the clock starts
        transport.count = 0
        started = time.perf_counter()
        rows = sum(1 for _ in crm.leads.all())
        elapsed = time.perf_counter() - started
        crm.close()
    ceiling = RATE * PAGE
    rate = rows / elapsed
    per_thousand = transport.count * 1000 / max(rows, 1)
    print(f"exported {rows} leads in {elapsed:.1f} s with {transport.count} requests")
    print(f"rows/s: {rate:,.0f} of a {ceiling:,} ceiling = {rate / ceiling:.0%} (target >= 85%)")
    print(f"requests per 1,000 rows: {per_thousand:.2f} (minimum {1000 / PAGE:.0f})")


if __name__ == "__main__":
    main()
