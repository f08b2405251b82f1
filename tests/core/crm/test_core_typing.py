"""Collections and queries are typed per record type: mypy sees ``Lead`` when iterating
``crm.leads.filter()``, ``Deal`` for ``crm.deals`` and so on (issue 16). The test runs mypy on a
snippet and reads what it reveals, so a regression to ``Record`` or ``Any`` fails here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy (a dev dependency) checks the snippet")

SNIPPET = """
import unicrm
from unicrm import F

crm = unicrm.connect("memory://")
for lead in crm.leads.filter(F("amount") > 1):
    reveal_type(lead)
reveal_type(crm.deals.get("1"))
reveal_type(crm.companies.filter().first())
reveal_type(crm.contacts.filter().order_by("last_name").limit(3).to_list())
reveal_type(crm.leads.all().pages())
reveal_type(crm.deals.count())
reveal_type(crm.pipelines("deal"))
for company in crm.companies:
    reveal_type(company)


async def reading() -> None:
    async with unicrm.connect_async("memory://") as acrm:
        async for deal in acrm.deals.filter(F("stage.semantic") == "won"):
            reveal_type(deal)
        reveal_type(await acrm.contacts.get(1))
        reveal_type(await acrm.leads.filter().to_list())
"""

EXPECTED = [
    "unicrm.model.records.Lead",
    "unicrm.model.sales.Deal",
    "unicrm.model.sales.Company | None",
    "list[unicrm.model.records.Contact]",
    "typing.Iterator[list[unicrm.model.records.Lead]]",
    "int",
    "list[unicrm.model.pipeline.Pipeline]",
    "unicrm.model.sales.Company",
    "unicrm.model.sales.Deal",
    "unicrm.model.records.Contact",
    "list[unicrm.model.records.Lead]",
]


def test_mypy_sees_the_record_type_of_each_collection(tmp_path: Path) -> None:
    snippet = tmp_path / "typed_collections.py"
    snippet.write_text(SNIPPET, encoding="utf-8")
    config = tmp_path / "mypy.ini"  # the project's own config lists files; this checks one
    config.write_text("[mypy]\n", encoding="utf-8")
    # A child process: mypy raises the interpreter's recursion limit for good when it runs
    # in-process, which would change what every later test sees.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            f"--config-file={config}",
            "--strict",
            "--python-version=3.10",
            "--follow-imports=silent",
            "--no-error-summary",
            str(snippet),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out, err = done.stdout, done.stderr
    # older mypy versions print builtins.list / builtins.int; compare without the module
    revealed = [t.replace("builtins.", "") for t in re.findall(r'Revealed type is "([^"]+)"', out)]
    assert revealed == EXPECTED, out + err
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert errors == [], errors
