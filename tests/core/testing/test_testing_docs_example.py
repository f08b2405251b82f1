"""The third-party adapter of docs/adapters.md ("A complete example: TinyCRM") is real.

Its files are extracted from the page (each fenced block whose first line is ``# file: PATH``),
built into a package in a fresh virtualenv next to ``unicrm[testing]``, found through its entry
point with no environment variable, and its compliance tests pass. So the page cannot drift
from what works.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DOCS = Path(__file__).resolve().parents[3] / "docs" / "adapters.md"
FENCE = re.compile(r"^```(\w+)\n# file: (\S+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
EXPECTED = {
    "pyproject.toml",
    "unicrm_tinycrm/__init__.py",
    "unicrm_tinycrm/emulator.py",
    "unicrm_tinycrm/adapter.py",
    "tests/conftest.py",
    "tests/test_compliance.py",
}


def example_files() -> dict[str, str]:
    """Path -> text of every ``# file:`` block on the page (the marker line kept)."""
    found: dict[str, str] = {}
    for match in FENCE.finditer(DOCS.read_text(encoding="utf-8")):
        _lang, path, body = match.groups()
        assert path not in found, f"{path} appears twice on {DOCS.name}"
        found[path] = f"# file: {path}\n{body}"
    return found


def write_example(directory: Path) -> Path:
    for path, text in example_files().items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return directory


def test_the_page_carries_every_file_of_the_example() -> None:
    files = example_files()
    assert set(files) == EXPECTED
    project = tomllib.loads(files["pyproject.toml"])
    assert project["project"]["entry-points"]["unicrm"] == {"tinycrm": "unicrm_tinycrm"}
    for path, text in files.items():
        if path.endswith(".py"):
            ast.parse(text, filename=path)


@pytest.mark.slow
def test_the_example_installs_and_passes_the_compliance_suite(
    make_venv: Callable[..., Any],
    repo_wheel: Path,
    tmp_path: Path,
    user_env: Callable[..., dict[str, str]],
) -> None:
    venv = make_venv("third-party", [f"{repo_wheel}[testing]"])
    project = write_example(tmp_path / "unicrm-tinycrm")
    venv.pip_install(str(project))
    env = user_env()
    assert "UNICRM_PLUGINS" not in env

    listed = venv.script("unicrm", "plugins", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert '"tinycrm+http"' in listed.stdout

    done = venv.script("pytest", "-p", "no:cacheprovider", cwd=project, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "tinycrm (tinycrm, tinycrm+http)" in output  # the opt-in plugin's header
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 16, output
    assert not re.search(r"\d+ (failed|errors?)\b", output), output
