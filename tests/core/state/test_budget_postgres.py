"""The PostgreSQL budget store: one bucket shared by processes, on the database's clock.

The measured test: 8 processes hammer one bucket (20/s, burst 10) for 4 seconds, asking again
as soon as (and more often than) the store allows. Every grant is stamped with the database
clock the decision was made on; in no window do the grants exceed burst + rate x window, and
the sustained rate stays at the rule's rate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from unicrm.state.budget import BucketRule
from unicrm.state.budget_postgres import PostgresBudgetStore

PROCESSES, SECONDS = 8, 4.0
RULE = BucketRule(rate=20.0, burst=10.0)


def test_keys_share_one_row_each_and_pauses_reach_everyone(pg_schema_url: str) -> None:
    one, two = PostgresBudgetStore(pg_schema_url), PostgresBudgetStore(pg_schema_url)
    rule = BucketRule(rate=1.0, burst=3.0)
    assert [one.take("portal-a", rule) for _ in range(3)] == [0, 0, 0]
    assert two.take("portal-a", rule) > 0.5  # the other connection sees the same bucket
    assert two.take("portal-b", rule) == 0  # another key is untouched
    one.pause("portal-b", rule, 30)
    assert 29 < two.take("portal-b", rule) <= 30
    two.charge("portal-c", rule, 5)  # 2 in debt: 2 s before a zero-cost take, 3 s for one unit
    assert 2.9 < one.take("portal-c", rule) <= 3.0
    assert "portal" not in repr(one) and "postgresql://" in repr(one)
    one.close()
    two.close()


HAMMER = textwrap.dedent(
    """
    import json, random, sys, time
    from unicrm.state.budget import BucketRule, take
    from unicrm.state.budget_postgres import PostgresBudgetStore

    url, start_at, seconds, rate, burst = sys.argv[1], *map(float, sys.argv[2:6])
    rule = BucketRule(rate, burst)
    store = PostgresBudgetStore(url)
    while time.time() < start_at:
        time.sleep(0.002)
    grants, asks = [], 0
    while time.time() < start_at + seconds:
        outcome = store.apply("portal", rule, take(1))
        asks += 1
        if outcome.wait == 0:
            grants.append([outcome.at, time.time()])
        else:  # ask again early and often: hammering, not politely waiting
            time.sleep(random.uniform(0, min(outcome.wait, 0.02)))
    print(json.dumps({"grants": grants, "asks": asks}))
    """
)


@pytest.mark.slow
def test_processes_hammering_one_bucket_never_exceed_its_rate(pg_schema_url: str) -> None:
    start_at = time.time() + 3.0  # every process connected and waiting before the start
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                HAMMER,
                pg_schema_url,
                str(start_at),
                str(SECONDS),
                str(RULE.rate),
                str(RULE.burst),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        results.append(json.loads(out))
    grants = sorted(g for r in results for g in r["grants"])
    asks = sum(r["asks"] for r in results)
    at = [g[0] for g in grants]
    # on the database clock every decision was made on: no window exceeds burst + rate x window
    worst = 0.0
    for i in range(len(at)):
        for j in range(i, len(at)):
            excess = (j - i + 1) - (RULE.burst + RULE.rate * (at[j] - at[i]))
            worst = max(worst, excess)
    assert worst <= 1e-6, f"a window got {worst:.3f} more grants than the bucket allows"
    span = at[-1] - at[0]
    sustained = (len(at) - RULE.burst) / span
    assert sustained <= RULE.rate * 1.001
    assert sustained >= RULE.rate * 0.8  # the store does not starve the portal either
    assert min(len(r["grants"]) for r in results) >= 1  # every process got some
    # as the clients saw it (wall clock after the grant): the busiest second
    sent = sorted(g[1] for g in grants)
    busiest = max(sum(1 for t in sent[i:] if t - s < 1.0) for i, s in enumerate(sent))
    assert busiest <= RULE.burst + RULE.rate + 1
    print(
        f"\n{PROCESSES} processes, {asks} asks in {SECONDS:g} s ({asks / SECONDS:.0f}/s): "
        f"{len(at)} grants, sustained {sustained:.2f}/s against a rate of {RULE.rate:g}/s "
        f"(burst {RULE.burst:g}); busiest second as sent: {busiest} "
        f"(ceiling {RULE.burst + RULE.rate:g})"
    )
