"""The service fixtures of tests/conftest.py: an absent service skips with its reason, or fails
the run when CI is set (run in a child pytest with the service's URL pointed at a dead port)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEEDS = "def test_needs_{name}({name}_url):\n    assert {name}_url\n"
DEAD = {
    "postgres": ("UNICRM_TEST_POSTGRES_URL", "postgresql://x:pw-secret@127.0.0.1:1/t"),
    "redis": ("UNICRM_TEST_REDIS_URL", "redis://127.0.0.1:1/0"),
    "amqp": ("UNICRM_TEST_AMQP_URL", "amqp://guest:pw-secret@127.0.0.1:1//"),
}


def _run(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_services_needed.py"
    test.write_text("\n".join(NEEDS.format(name=name) for name in DEAD))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update({env_name: url for env_name, url in DEAD.values()})
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-q", "-rs", str(test)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_absent_service_skips_with_its_reason_and_fails_under_ci(tmp_path: Path) -> None:
    skipped = _run(tmp_path, ci=False)
    assert skipped.returncode == 0, skipped.stdout
    assert "3 skipped" in skipped.stdout
    for name, (env_name, _) in DEAD.items():
        assert f"{name} is not reachable" in skipped.stdout and env_name in skipped.stdout
    assert "pw-secret" not in skipped.stdout
    failed = _run(tmp_path, ci=True)
    assert failed.returncode != 0, failed.stdout
    assert failed.stdout.count("CI is set, so a missing service fails the run") == 3
    assert "3 error" in failed.stdout
