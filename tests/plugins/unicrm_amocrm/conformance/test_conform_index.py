"""The conformance suite and its page agree: every test quotes a source and is listed.

Not a vendor rule itself: it keeps ``docs/vendors/amocrm-conformance.md`` and this directory in
step, so a rule cannot be added without its source or drop out of the page unnoticed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).parent
PAGE = HERE.parents[3] / "docs" / "vendors" / "amocrm-conformance.md"
RULE_FILES = sorted(p for p in HERE.glob("test_conform_*.py") if p.name != Path(__file__).name)


def _tests() -> dict[str, str]:
    """``file::test`` -> docstring, for every test function of the rule files."""
    found = {}
    for path in RULE_FILES:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found[f"{path.name}::{node.name}"] = ast.get_docstring(node) or ""
    return found


def test_every_rule_test_quotes_its_source() -> None:
    tests = _tests()
    assert len(tests) >= 30
    unsourced = [
        name
        for name, doc in tests.items()
        if "Source:" not in doc or not re.search(r'["«].{12,}["»]', doc.split("Source:")[1], re.S)
    ]
    assert unsourced == []


def test_the_page_lists_every_rule_test_and_nothing_else() -> None:
    listed = set(re.findall(r"`(test_conform_\w+\.py::test_\w+)`", PAGE.read_text("utf-8")))
    assert listed == set(_tests())
