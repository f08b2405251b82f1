"""A script that forgets to close its CRM gets no ResourceWarning noise, and nothing made from
a CRM (a collection, a query, a running iteration) loses its connection while it is in use.

Real sockets are needed for the warning to exist, so these run a script in a subprocess
against a Bitrix24 emulator served over HTTP on 127.0.0.1, with ResourceWarnings made errors.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc
    import unicrm
    from unicrm.emulation.server import ServerThread
    from unicrm_bitrix24.emulator import Bitrix24Emulator

    emulator = Bitrix24Emulator(limits="off")
    server = ServerThread(emulator).start()
    url = f"bitrix24+http://127.0.0.1:{server.port}{emulator.webhook_path}"

    def forgotten():
        crm = unicrm.connect(url)
        crm.leads.create(unicrm.Lead(title="one"))
        return crm.leads.count()

    counts = [forgotten() for _ in range(3)]
    gc.collect()
    # nothing refers to the CRM, only to what was made from it: all of it keeps working
    leads = unicrm.connect(url).leads
    gc.collect()
    titles = [lead.title for lead in unicrm.connect(url).leads.filter()]
    gc.collect()
    pages = unicrm.connect(url).leads.all().pages()
    gc.collect()
    rows = sum(len(page) for page in pages)
    print("counts", counts, "titles", len(titles), "rows", rows, "more", leads.count())
    last = unicrm.connect(url)  # left open at exit too
    last.leads.count()
    """
)


def _run(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter in dev mode, ResourceWarnings as errors."""
    return subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_forgotten_connections_close_quietly_and_stay_usable_while_referenced() -> None:
    done = _run(SCRIPT)
    assert done.returncode == 0, done.stderr
    assert "counts [1, 2, 3] titles 3 rows 3 more 3" in done.stdout
    assert "ResourceWarning" not in done.stderr, done.stderr
    assert "unclosed" not in done.stderr, done.stderr


def test_without_the_finalizer_the_same_script_would_warn() -> None:
    """The check above can fail: the same forgotten connection, its finalizer detached."""
    script = SCRIPT.replace(
        "    return crm.leads.count()", "    crm._closer.detach()\n    return crm.leads.count()"
    )
    assert script != SCRIPT
    done = _run(script)
    assert "ResourceWarning" in done.stderr
