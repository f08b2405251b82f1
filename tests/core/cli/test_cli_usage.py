"""Bad command-line arguments are usage errors on every command: exit 2, one line on stderr
naming the command and the problem, no traceback, no secret repeated, nothing started."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from unicrm.cli import cli

SECRET = "SECRETqq7"

#: id -> arguments; each is wrong in exactly one way that click can see while parsing.
BAD_ARGUMENTS: dict[str, list[str]] = {
    # the group
    "unknown-command": ["nosuch"],
    "unknown-option": ["--bogus"],
    # plugins
    "plugins-unknown-option": ["plugins", "--colour"],
    # sandbox
    "sandbox-no-vendor": ["sandbox"],
    "sandbox-port-too-big": ["sandbox", "bitrix24", "--port", "99999"],
    "sandbox-port-negative": ["sandbox", "amocrm", "--port", "-1"],
    "sandbox-port-text": ["sandbox", "amocrm", "--port", "http"],
    "sandbox-webhook-no-user": ["sandbox", "bitrix24", "--webhook", "bad"],
    "sandbox-webhook-text-user": ["sandbox", "bitrix24", "--webhook", f"me/{SECRET}"],
    "sandbox-webhook-punctuation": ["sandbox", "bitrix24", "--webhook", f"1/{SECRET}-x"],
    "sandbox-empty-token": ["sandbox", "amocrm", "--token", " "],
    "sandbox-negative-latency": ["sandbox", "amocrm", "--latency", "-5"],
    "sandbox-faults-above-one": ["sandbox", "amocrm", "--faults", "2"],
    "sandbox-faults-text": ["sandbox", "amocrm", "--faults", "often"],
    "sandbox-negative-seed": ["sandbox", "amocrm", "--seed", "-1"],
    "sandbox-negative-contacts": ["sandbox", "amocrm", "--contacts", "-3"],
    "sandbox-limits": ["sandbox", "amocrm", "--limits", "strict"],
    "sandbox-db-in-missing-dir": ["sandbox", "amocrm", "--db", "/nonexistent-dir/state.db"],
    "sandbox-db-is-a-dir": ["sandbox", "amocrm", "--db", "/"],
    # export
    "export-no-entity": ["export", "memory://x"],
    "export-entity": ["export", "memory://x", "orders"],
    "export-not-a-url": ["export", "memory", "leads"],
    "export-url-port": ["export", "amocrm://sub.amocrm.ru:99999", "leads"],
    "export-url-port-text": ["export", "amocrm+http://127.0.0.1:abc", "leads"],
    "export-url-space": ["export", f"bitrix24://por tal/rest/1/{SECRET}/", "leads"],
    "export-url-fragment": ["export", f"bitrix24://portal/rest/1/{SECRET}/#x", "leads"],
    "export-where-syntax": ["export", "memory://x", "leads", "--where", "amount >="],
    "export-where-field": ["export", "memory://x", "leads", "--where", "nope == 1"],
    "export-where-type": ["export", "memory://x", "leads", "--where", 'amount == "lots"'],
    "export-where-python": ["export", "memory://x", "leads", "--where", "__import__('os')"],
    "export-format": ["export", "memory://x", "leads", "--format", "xml"],
    "export-output-missing-dir": ["export", "memory://x", "leads", "-o", "/nonexistent-dir/o"],
    # migrate / verify (click's own checks)
    "migrate-no-target": ["migrate", "--from", "memory://a"],
    "migrate-writers": ["migrate", "--from", "memory://a", "--to", "memory://b", "--writers", "0"],
    "migrate-batch": ["migrate", "--from", "memory://a", "--to", "memory://b", "--batch-size", "x"],
    "verify-no-source": ["verify", "--to", "memory://b"],
    # demo
    "demo-negative-leads": ["demo", "--leads", "-1"],
    "demo-limits": ["demo", "--limits", "none"],
    "demo-workdir-is-a-file": ["demo", "--workdir", "/etc/hostname"],
}


def _one_usage_line(stderr: str, command: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith(f"unicrm{command}: "), line
    assert line.endswith(f"(see 'unicrm{command} --help')"), line
    return line


@pytest.mark.parametrize("args", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_arguments_are_one_line_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    command = "" if args[0].startswith("-") or args[0] == "nosuch" else f" {args[0]}"
    line = _one_usage_line(result.stderr, command)
    assert "Traceback" not in line and SECRET not in line


@pytest.mark.parametrize(
    "args, says",
    [
        (["sandbox", "bitrix24", "--port", "99999"], "'--port': 99999 is not in the range"),
        (["sandbox", "bitrix24", "--webhook", "bad"], "'--webhook': expected USER/CODE"),
        (["export", "memory://x:99999", "leads"], "'URL': memory:// URL: port '99999'"),
        (["export", "memory://x", "leads", "--where", "nope == 1"], "unknown field 'nope'"),
        (["export", "memory://x", "leads", "-o", "/nonexistent-dir/o"], "does not exist"),
    ],
)
def test_usage_errors_say_what_is_wrong(args: list[str], says: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert says in result.stderr


@pytest.mark.xfail(
    strict=True,
    reason="cmd_migrate.py (migration engineer's file) still checks --since itself (exit 3); "
    "unicrm.cli.params.IsoTime makes it a usage error",
)
def test_migrate_since_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["migrate", "--from", "memory://a", "--to", "memory://b", "--since", "yesterday"]
    )
    assert result.exit_code == 2


def test_configuration_problems_stay_exit_3() -> None:
    """A scheme no plugin answers, or a missing sandbox, is configuration, not usage."""
    scheme = CliRunner().invoke(cli, ["export", "nosuch://x", "leads"])
    assert scheme.exit_code == 3
    assert scheme.stderr.startswith("unicrm: ConfigurationError: no adapter for URL scheme")
    sandbox = CliRunner().invoke(cli, ["sandbox", "nosuch"])
    assert sandbox.exit_code == 3


def test_good_arguments_still_run(tmp_path: Path) -> None:
    out = tmp_path / "leads.jsonl"
    result = CliRunner().invoke(
        cli, ["export", "memory://usage-ok", "leads", "--where", "amount >= 1", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.exists()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "unicrm.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_real_process_exits_2_with_one_line_and_no_traceback() -> None:
    done = _run("sandbox", "bitrix24", "--port", "99999", "--webhook", f"1/{SECRET}")
    assert done.returncode == 2
    assert done.stdout == ""
    line = _one_usage_line(done.stderr, " sandbox")
    assert "99999 is not in the range 0<=x<=65535" in line
    assert "Traceback" not in done.stderr and SECRET not in done.stderr


def test_a_busy_port_is_one_line_before_any_banner() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run("sandbox", "amocrm", "--port", str(port))
    assert done.returncode == 3
    assert done.stdout == ""
    assert (
        done.stderr.strip() == f"unicrm: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
