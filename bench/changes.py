"""Change-feed benchmark: the polling source and the id-diff deletion scan on both vendor
sandboxes, each served by ``unicrm sandbox <vendor> --limits vendor`` in its own process.

For each vendor: seed ``--seed`` leads (and the seeder's contacts), take a cursor, let another
client make 1,000 changes (creates, updates, deletes; amoCRM has no API deletion, so its
deletions are made in the sandbox's SQLite file as its web interface would), then read them
with ``crm.changes(since=cursor)`` twice: without deletions (the polling source alone) and with
them (polling + one id scan). Prints events/s and requests per 1,000 changes for each,
against what the vendor's limits allow:

* polling needs at least ceil(changes / rows per request) requests: Bitrix24 2,500 rows per
  ``batch`` (50 list pages), amoCRM 250 per page; its events/s ceiling is rows per request x
  the vendor's request rate (Bitrix24 2/s, amoCRM 7/s);
* the scan lists every id (``only("id")``): records / rows per request, plus one batched
  ``id in (...)`` check per 100-500 missing ids.

Run: ``python bench/changes.py --seed 3000``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import attrs

import unicrm
from unicrm import Lead
from unicrm.emulation import SandboxOptions, free_port

sys.path.insert(0, str(Path(__file__).parent))
from amocrm_export import CountingTransport  # counts the feed connection's requests
from migrate import serving_process  # the bench scripts' sandbox runner

VENDORS = {
    # rows per request, requests per second (vendor notes: Bitrix24 2/s leaky bucket and
    # 50-command batches of 50-row pages; amoCRM 7/s and 250-row pages)
    "bitrix24": (2_500, 2.0),
    "amocrm": (250, 7.0),
}
LAG = 1.0


def make_changes(
    vendor: str,
    url: str,
    options: dict[str, Any],
    db: str,
    counts: tuple[int, int, int],
    known: list[str],
) -> None:
    """Another client's creates, updates and deletes of leads the feed has reported."""
    creates, updates, deletes = counts
    ids = sorted(known, key=int)
    assert len(ids) >= updates + deletes, "seed more leads"
    with unicrm.connect(url, **options) as writer:
        writer.leads.create_many([Lead(title=f"bench {n}") for n in range(creates)])
        chosen = set(ids[:updates])  # read once, written whole in vendor batches
        edited = [attrs.evolve(r, title=f"edited {r.id}") for r in writer.leads if r.id in chosen]
        writer.leads.update_many(edited)
        gone = ids[updates : updates + deletes]
        if vendor == "bitrix24":
            for record_id in gone:
                writer.leads.delete(record_id)
        else:
            with sqlite3.connect(db) as store:
                store.executemany(
                    "DELETE FROM entities WHERE kind = 'leads' AND id = ?",
                    [(int(i),) for i in gone],
                )


def measure(
    url: str, options: dict[str, Any], cursor: str, deletions: bool
) -> tuple[int, float, int, str]:
    """Events, seconds, requests and the cursor after one ``crm.changes`` call on leads."""
    transport = CountingTransport()
    with unicrm.connect(url, transport=transport, **options) as crm:
        crm.pipelines()  # account metadata is read before the clock starts
        list(crm.leads.all().limit(1))
        transport.count = 0
        started = time.perf_counter()
        feed = crm.changes(since=cursor, entities=["lead"], lag=LAG, deletions=deletions)
        events = sum(1 for _ in feed)
        return events, time.perf_counter() - started, transport.count, feed.cursor.dumps()


def run(vendor: str, seed: int, counts: tuple[int, int, int], folder: Path) -> None:
    db = str(folder / f"{vendor}.db")
    options = SandboxOptions(port=free_port(), seed=seed, limits="vendor", db=db)
    started = time.perf_counter()
    with serving_process(vendor, options) as (url, connect_options):
        print(f"\n{vendor}: sandbox up in {time.perf_counter() - started:.1f} s")
        with unicrm.connect(url, **connect_options) as crm:
            start = crm.changes(entities=["lead"], lag=LAG)
            known = [e.record_id for e in start]
            cursor = start.cursor.dumps()
        time.sleep(LAG)
        started = time.perf_counter()
        make_changes(vendor, url, connect_options, db, counts, known)
        print(f"  {len(known)} leads reported at first; then {counts[0]} creates, {counts[1]} "
              f"updates, {counts[2]} deletes by another client in "
              f"{time.perf_counter() - started:.1f} s (vendor limits on)")  # fmt: skip
        time.sleep(LAG + 1)
        total = sum(counts)
        rows, rate = VENDORS[vendor]
        polled, seconds, requests, after = measure(url, connect_options, cursor, deletions=False)
        print(
            f"  polling: {polled} events in {seconds:.2f} s = {polled / seconds:,.0f} events/s "
            f"(ceiling {rows * rate:,.0f}); {requests * 1000 / total:.1f} requests per 1,000 "
            f"changes (minimum {-(-1000 // rows)})"
        )
        if requests <= rate:
            print(f"  (those {requests} requests fit in the vendor's one-second window: a burst,")
            print("   not the sustained rate; more changes per call approach the ceiling)")
        deleted, seconds, requests, _ = measure(url, connect_options, after, deletions=True)
        listed = len(known) + counts[0] - counts[2]
        print(
            f"  id scan: {deleted} deletions of {counts[2]} found in {seconds:.2f} s with "
            f"{requests} requests for {listed} ids (an empty poll, the id listing: minimum "
            f"{-(-listed // rows)}, and the batched re-check of the missing ids)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3_000, help="leads each sandbox starts with")
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--deletes", type=int, default=100)
    parser.add_argument("--vendor", choices=sorted(VENDORS), action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for vendor in args.vendor or sorted(VENDORS):
            run(vendor, args.seed, (args.creates, args.updates, args.deletes), Path(folder))


if __name__ == "__main__":
    main()
