"""The issue's CLI acceptance: two sandboxes in their own processes ("two terminals"), a
migration interrupted with Ctrl-C and resumed, then ``unicrm verify``: zero differences and
no duplicates. Secrets travel in environment variables only, never on a command line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import unicrm
from unicrm.emulation import free_port
from unicrm.plugins import sandboxes

LEADS, CONTACTS = 300, 200


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "unicrm.cli", *args]


class Terminal:
    """``unicrm sandbox VENDOR`` in a subprocess; its banner lines once it serves."""

    def __init__(self, vendor: str, *args: str) -> None:
        if vendor not in {s.name for s in sandboxes()}:
            pytest.skip(f"no {vendor} sandbox registered")
        self.port = free_port()
        self.process = subprocess.Popen(
            _cli("sandbox", vendor, "--port", str(self.port), *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.banner = [self.process.stdout.readline().strip()]
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the {vendor} sandbox did not start serving")
        if vendor == "amocrm":
            self.banner.append(self.process.stdout.readline().strip())

    def close(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def terminals() -> Iterator[tuple[Terminal, Terminal]]:
    b24 = Terminal("bitrix24", "--seed", str(LEADS), "--contacts", str(CONTACTS))
    amo = Terminal("amocrm")
    yield b24, amo
    b24.close()
    amo.close()


def test_migrate_interrupted_with_ctrl_c_resumes_and_verifies_exactly(
    terminals: tuple[Terminal, Terminal], tmp_path: Path
) -> None:
    b24, amo = terminals
    hook = urlsplit(b24.banner[0]).path.removeprefix("/rest/").strip("/")  # USER/CODE
    token = amo.banner[1].split(" ", 1)[1]
    source = f"bitrix24+http://127.0.0.1:{b24.port}"
    target = f"amocrm+http://127.0.0.1:{amo.port}"
    env = {
        **os.environ,
        "UNICRM_BITRIX24_WEBHOOK": hook,
        "UNICRM_AMOCRM_TOKEN": token,
        "UNICRM_CONFIG": str(tmp_path / "none.toml"),
        "NO_COLOR": "1",
    }
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    ledger = str(tmp_path / "run.db")
    migrate = _cli("migrate", "--from", source, "--to", target, "--ledger", ledger, "--quiet")
    assert not any(secret in " ".join(migrate) for secret in (hook.split("/")[1], token))

    first = subprocess.Popen(
        migrate, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(3.0)  # under the vendors' limits the whole run takes longer than this
    if first.poll() is not None:
        pytest.fail(f"the migration ended before Ctrl-C ({first.returncode}): nothing tested")
    first.send_signal(signal.SIGINT)
    _out, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    assert "--resume" in err

    again = subprocess.run(
        migrate, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert again.returncode == 3 and "--resume" in again.stderr  # refuses to start over

    resumed = subprocess.run(
        [*migrate, "--resume", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["state"] == "complete"

    checked = subprocess.run(
        _cli("verify", "--from", source, "--to", target, "--ledger", ledger, "--json"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["differences"] == 0
    assert report["counts"]["lead"]["target"] == LEADS
    assert report["counts"]["contact"]["target"] == CONTACTS
    for output in (err, resumed.stdout, resumed.stderr, checked.stdout):
        assert token not in output and hook.split("/")[1] not in output

    crm = unicrm.connect(target, token=token)
    assert len(list(crm.leads.all())) == LEADS  # no duplicates, nothing but the migrated ones
    assert len(list(crm.contacts.all())) == CONTACTS
    crm.close()
