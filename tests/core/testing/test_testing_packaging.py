"""Installing unicrm leaves other people's pytest alone (issue 11, "Packaging").

In a fresh virtualenv with pytest and without hypothesis, ``pip install unicrm`` leaves a
trivial test suite passing; with hypothesis added, an unrelated property suite keeps
hypothesis' own defaults, or its own profile, and never sees ``UNICRM_PLUGINS``. The variables
this repository's CI sets (``HYPOTHESIS_PROFILE=ci``) are set for the user's run too: only
unicrm could act on them, and it must not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

TRIVIAL_SUITE = """
import os


def test_arithmetic():
    assert 1 + 1 == 2


def test_unicrm_set_no_environment_variable():
    assert "UNICRM_PLUGINS" not in os.environ


def test_no_unicrm_pytest_plugin_is_registered(pytestconfig):
    names = [name or "" for name, _ in pytestconfig.pluginmanager.list_name_plugin()]
    modules = [getattr(p, "__name__", "") for _, p in pytestconfig.pluginmanager.list_name_plugin()]
    assert not [n for n in names + modules if "unicrm" in n], names


def test_unicrm_itself_works():
    import unicrm

    crm = unicrm.connect("memory://")
    assert crm.leads.create(unicrm.Lead(title="x")).id
"""

PROPERTY_SUITE = """
import os

from hypothesis import given, settings, strategies as st

import unicrm  # a user of unicrm, not of its test kit

calls = []


@given(st.uuids())
def test_property(value):
    calls.append(value)


def test_settings_are_the_projects_own():
    assert settings.default.max_examples == EXPECTED
    assert settings.default.derandomize is False
    assert len(calls) == EXPECTED
    assert "UNICRM_PLUGINS" not in os.environ
    assert unicrm.connect("memory://").leads.all().to_list() == []
"""

OWN_PROFILE = """
from hypothesis import settings

settings.register_profile("mine", max_examples=13)
settings.load_profile("mine")
"""


def _passed(output: str) -> int:
    found = re.search(r"(\d+) passed", output)
    return int(found.group(1)) if found else 0


Env = Callable[..., dict[str, str]]


@pytest.fixture(scope="module")
def venv_without_hypothesis(make_venv: Callable[..., Any], repo_wheel: Path) -> Any:
    return make_venv("no-hypothesis", ["pytest", str(repo_wheel)])


@pytest.fixture(scope="module")
def hypothesis_site(venv_without_hypothesis: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hypothesis installed beside the venv (on PYTHONPATH), so the venv itself stays without."""
    site = tmp_path_factory.mktemp("hypothesis-site")
    venv_without_hypothesis.pip_install("hypothesis", target=site)
    return site


def test_a_suite_without_hypothesis_still_passes(
    venv_without_hypothesis: Any, tmp_path: Path, user_env: Env
) -> None:
    venv = venv_without_hypothesis
    assert venv.run("-c", "import hypothesis").returncode != 0, "hypothesis must be absent"
    (tmp_path / "test_trivial.py").write_text(TRIVIAL_SUITE, encoding="utf-8")
    env = user_env(HYPOTHESIS_PROFILE="ci")
    done = venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _passed(done.stdout) == 4, done.stdout


@pytest.mark.parametrize(
    "own_profile, expected",
    [pytest.param(False, 100, id="hypothesis-defaults"), pytest.param(True, 13, id="own-profile")],
)
def test_an_unrelated_property_suite_keeps_its_own_settings(
    venv_without_hypothesis: Any,
    hypothesis_site: Path,
    tmp_path: Path,
    user_env: Env,
    own_profile: bool,
    expected: int,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    suite = PROPERTY_SUITE.replace("EXPECTED", str(expected))
    (project / "test_property.py").write_text(suite, encoding="utf-8")
    if own_profile:
        (project / "conftest.py").write_text(OWN_PROFILE, encoding="utf-8")
    env = user_env(HYPOTHESIS_PROFILE="ci", PYTHONPATH=str(hypothesis_site))
    done = venv_without_hypothesis.run(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _passed(done.stdout) == 2, done.stdout
