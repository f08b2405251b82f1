"""The compliance kit catches obviously wrong adapters at its default settings.

Each deliberately broken adapter of ``broken_adapters.py`` (first id of an ``id in`` list only,
every negation lost, only ``not in`` lost, the last page dropped) runs the whole
:class:`~unicrm.testing.ComplianceSuite` in a pytester session with hypothesis' own default
settings (not this repository's ``ci`` profile) and the suite's default class attributes: the
suite must fail it, and its targeted test for that bug must be among the failures. The correct
memory adapter, run the same way, passes everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

HERE = Path(__file__).parent

SUITE_MODULE = """
from broken_adapters import BROKEN, AdapterUnderTest
from unicrm.testing import ComplianceSuite


class TestAdapter(AdapterUnderTest, ComplianceSuite):
    adapter_class = BROKEN[{name!r}]
"""

#: broken adapter -> the targeted tests that must fail on it
CAUGHT_BY = {
    "first-id-only": {"test_targeted_value_lists"},
    "negation-ignored": {"test_targeted_negations"},
    "not-in-as-in": {"test_targeted_negations"},
    "last-page-dropped": {"test_targeted_every_page_arrives"},
}


@pytest.fixture
def hypothesis_defaults() -> Iterator[None]:
    """Hypothesis' own defaults while the inner session runs; this suite's profile after."""
    before = settings.get_current_profile_name()
    settings.load_profile("default")
    try:
        yield
    finally:
        settings.load_profile(before)


def _run_suite(pytester: pytest.Pytester, name: str) -> pytest.RunResult:
    pytester.makepyfile(broken_adapters=(HERE / "broken_adapters.py").read_text("utf-8"))
    pytester.makepyfile(test_adapter=SUITE_MODULE.format(name=name))
    pytester.syspathinsert()
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-rN")


def _failed(result: pytest.RunResult) -> set[str]:
    reports = result.reprec.getreports("pytest_runtest_logreport")  # type: ignore[attr-defined]
    return {r.nodeid.rsplit("::", 1)[-1] for r in reports if r.failed}


@pytest.mark.usefixtures("hypothesis_defaults")
@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_the_kit_fails_a_broken_adapter(pytester: pytest.Pytester, name: str) -> None:
    result = _run_suite(pytester, name)
    failed = _failed(result)
    print(f"{name}: the suite failed {sorted(failed)}")
    assert result.ret != 0
    assert CAUGHT_BY[name] <= failed, f"{name}: only {sorted(failed)} failed"


@pytest.mark.usefixtures("hypothesis_defaults")
def test_the_kit_passes_the_correct_adapter(pytester: pytest.Pytester) -> None:
    result = _run_suite(pytester, "correct")
    assert _failed(result) == set()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 15 and "failed" not in outcomes, outcomes
