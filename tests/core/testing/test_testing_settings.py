"""This repository's own hypothesis profiles (tests/conftest.py) and the opt-in pytest plugin
of the compliance kit, which registers its profiles without loading any."""

from __future__ import annotations

import importlib.metadata
import os

import pytest
from hypothesis import settings

PROFILES = {"ci": (60, True), "thorough": (1000, False)}


def test_this_suite_runs_the_profile_that_hypothesis_profile_names(
    pytestconfig: pytest.Config,
) -> None:
    chosen = pytestconfig.getoption("hypothesis_profile", None) or os.environ.get(
        "HYPOTHESIS_PROFILE", "ci"
    )
    examples, derandomized = PROFILES[chosen]
    assert settings.default.max_examples == examples
    assert settings.default.derandomize is derandomized
    assert settings.default.deadline is None


def test_unicrm_registers_no_pytest_plugin_by_installation() -> None:
    registered = importlib.metadata.entry_points(group="pytest11")
    assert [ep for ep in registered if ep.value.startswith("unicrm")] == []


def test_the_opt_in_plugin_registers_profiles_and_loads_none() -> None:
    before = settings.default
    from unicrm.testing import pytest_plugin

    assert settings.default is before
    assert settings.get_profile("unicrm-ci").max_examples == 60
    assert settings.get_profile("unicrm-ci").derandomize is True
    assert settings.get_profile("unicrm-thorough").max_examples == 1000
    assert "UNICRM_PLUGINS" not in vars(pytest_plugin)


def test_the_opt_in_plugin_names_the_loaded_adapters(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["unicrm.testing.pytest_plugin"]\n')
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["unicrm *; adapters: *memory (memory)*"])
