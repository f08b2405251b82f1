"""Fresh virtualenvs for the packaging tests: unicrm built into a wheel once per session and
installed the way a user would (``pip install``, dependencies from the package index).

The package index is the one pip is configured with on this machine (CI reaches it too). When
it cannot be reached the tests skip, except under ``CI``, where they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs
import pytest

REPO = Path(__file__).resolve().parents[3]
#: Variables this repository's own test run sets, which a user's run would not have.
OUR_VARIABLES = (
    "UNICRM_PLUGINS",
    "HYPOTHESIS_PROFILE",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "PYTEST_ADDOPTS",
)


def user_environment(**extra: str) -> dict[str, str]:
    """The environment a user's shell would give a process: none of our test settings."""
    env = {k: v for k, v in os.environ.items() if k not in OUR_VARIABLES}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _unreachable(what: str, done: subprocess.CompletedProcess[str]) -> None:
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
    message = f"{what} failed (exit {done.returncode}):\n{tail}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(f"package index not usable here? {message}")


@attrs.frozen
class Venv:
    """A virtualenv made by ``python -m venv``; ``timings`` records how long each step took."""

    path: Path
    timings: dict[str, float]

    def run(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``python *args`` in this venv, with a user's environment."""
        return self.script("python", *args, cwd=cwd, env=env)

    def script(
        self, name: str, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A program of this venv (``pytest``, ``unicrm``; console scripts, unlike
        ``python -m``, do not put the working directory on ``sys.path``)."""
        return subprocess.run(
            [str(self.path / "bin" / name), *args],
            cwd=cwd,
            env=env or user_environment(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def pip_install(self, *requirements: str, target: Path | None = None) -> None:
        """``pip install`` (into ``target`` instead of the venv when given)."""
        where = ["--target", str(target)] if target else []
        started = time.perf_counter()
        done = self.run("-m", "pip", "install", "--quiet", *where, *requirements)
        self.timings[f"pip install {' '.join(Path(r).name for r in requirements)}"] = (
            time.perf_counter() - started
        )
        if done.returncode != 0:
            _unreachable(f"pip install {' '.join(requirements)}", done)


@pytest.fixture(scope="session")
def user_env() -> Callable[..., dict[str, str]]:
    """:func:`user_environment`, for test modules (conftest modules are not importable)."""
    return user_environment


@pytest.fixture(scope="session")
def repo_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """unicrm as a wheel, built once per session from this working tree."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=user_environment(),
    )
    if done.returncode != 0:
        _unreachable("building the unicrm wheel", done)
    (wheel,) = out.glob("unicrm-*.whl")
    return wheel


@pytest.fixture(scope="session")
def make_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Venv]]:
    """Make fresh virtualenvs: ``make_venv(name, *requirements)``; prints the timings."""
    made: list[Venv] = []

    def make(name: str, requirements: Sequence[str]) -> Venv:
        path = tmp_path_factory.mktemp(name)
        venv = Venv(path / "venv", {})
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(venv.path)], check=True, timeout=300)
        venv.timings["python -m venv"] = time.perf_counter() - started
        if requirements:
            venv.pip_install(*requirements)
        made.append(venv)
        return venv

    yield make
    for venv in made:
        steps = ", ".join(f"{step}: {seconds:.1f} s" for step, seconds in venv.timings.items())
        print(f"\n{venv.path.parent.name}: {steps}")
