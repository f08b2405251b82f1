"""The conformance suite's own rules: every test quotes the vendor page it checks, and the
conformance page of the docs lists every test.

A test's docstring says the rule, then ``Source: <repository>, <page path>.md`` and, indented
under it, the sentence quoted from that page (the quotes were checked word for word against
the two repositories when written). Rules the docs leave open say so and name their switch.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPOSITORIES = ("bitrix24/b24restdocs", "bitrix-tools/b24-rest-docs")
SOURCE = re.compile(
    r"^Source: (?P<repo>[\w./-]+), (?P<page>[\w./-]+\.md)[^\n]*:\n(?P<quote>(?: {4}\S.*\n?)+)",
    re.M,
)
DOC_PAGE = HERE.parents[3] / "docs" / "vendors" / "bitrix24-conformance.md"


def _tests() -> list[tuple[str, str]]:
    found = []
    for path in sorted(HERE.glob("test_b24conf_*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found.append((node.name, ast.get_docstring(node) or ""))
    return found


TESTS = _tests()


def test_the_suite_is_found() -> None:
    assert len(TESTS) >= 50


@pytest.mark.parametrize(("name", "doc"), TESTS, ids=[t[0] for t in TESTS])
def test_every_conformance_test_quotes_its_source(name: str, doc: str) -> None:
    sources = list(SOURCE.finditer(doc + "\n"))
    assert sources, f"{name}: no 'Source: <repository>, <page>.md:' with an indented quote"
    for source in sources:
        assert source["repo"] in REPOSITORIES, (
            f"{name}: {source['repo']} is not a vendor doc repository"
        )
        assert len(source["quote"].split()) >= 3, f"{name}: the quote is too short to check"
    if "switch" in doc.lower():
        assert re.search(r"switch ``\w+``", doc), f"{name}: an open rule names its switch"


def test_the_conformance_page_lists_every_test() -> None:
    page = DOC_PAGE.read_text(encoding="utf-8")
    missing = [name for name, _doc in TESTS if name not in page]
    assert not missing, f"{DOC_PAGE.name} does not list: {missing}"
