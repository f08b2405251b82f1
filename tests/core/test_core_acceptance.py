# ruff: noqa: E501 - the snippet is quoted verbatim from the issue
"""Issue 2's acceptance snippet, verbatim (run in a fresh interpreter, as a user would)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SNIPPET = textwrap.dedent(
    """
    import unicrm
    from decimal import Decimal
    from unicrm import F, Lead, Contact, Money, Phone
    crm = unicrm.connect("memory://?pushdown=basic")
    for i in range(300):
        crm.leads.create(Lead(title=f"Lead {i}", amount=Money(Decimal(i * 100), "USD")))
    q = crm.leads.filter((F("amount") >= 15000) & F("title").startswith("Lead 2"))
    print(q.explain())
    assert sorted(l.title for l in q) == sorted(f"Lead {i}" for i in range(200, 300))
    c = crm.contacts.create(Contact(first_name="Ivan", last_name="Petrov", phones=[Phone("+7 999 555-11-22")]))
    assert crm.contacts.get(c.id).last_name == "Petrov"
    assert {s.semantic for p in crm.pipelines() for s in p.stages} >= {"open", "won", "lost"}
    """
)


def test_issue_2_acceptance_snippet_runs_unchanged() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error::Warning"}
    result = subprocess.run(
        [sys.executable, "-c", SNIPPET],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Plan for leads on memory (pushdown=basic)" in out
    assert "amount >= 15000" in out
    assert "residual (checked locally): title startswith 'Lead 2'" in out
    assert "estimated requests:" in out
