"""The ledger on both backends (SQLite file, PostgreSQL schema): the pending -> done protocol,
one transaction per batch, runs and meta; then what only PostgreSQL has: named ledgers in one
schema, the versioned schema (an upgrade from version 1 keeps every row), concurrent first
opens, and errors that name the store without its password."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable

import psycopg
import pytest

from unicrm.errors import ConfigurationError
from unicrm.migrate import Ledger
from unicrm.migrate.ledger import ledger_exists
from unicrm.migrate.ledger_postgres import MIGRATIONS, PostgresLedgerStore
from unicrm.model import EntityKind
from unicrm.state.postgres import PostgresURL, connect
from unicrm.state.schema import current_version, upgrade

LEAD, CONTACT = EntityKind.LEAD, EntityKind.CONTACT
LedgerAt = Callable[[str], str]


def test_pending_then_done_with_checksums_and_created_flags(ledger_at: LedgerAt) -> None:
    with Ledger(ledger_at("run")) as ledger:
        ledger.mark_pending(LEAD, [("1", "m1"), ("2", "m2"), ("3", "m3")])
        pending = ledger.entries(LEAD)
        assert {e.state for e in pending.values()} == {"pending"}
        assert pending["2"].marker == "m2" and pending["2"].target_id is None
        ledger.mark_done(
            LEAD, [("1", "t1", "c1", True, "2024-01-01"), ("2", "t2", "c2", False, None)]
        )
        # a later batch marks a done record pending again: it stays done (kept, not reset)
        ledger.mark_pending(LEAD, [("1", "other-marker")])
        # an update of a created record does not un-create it
        ledger.mark_done(LEAD, [("1", "t1", "c1b", False, "2024-02-01")])
        entries = ledger.entries(LEAD, ["1", "2", "3", "missing"])
        assert set(entries) == {"1", "2", "3"}
        one = entries["1"]
        assert (one.state, one.marker, one.target_id, one.checksum) == ("done", "m1", "t1", "c1b")
        assert one.created and one.source_updated == "2024-02-01"
        assert not entries["2"].created and entries["3"].state == "pending"
        assert ledger.target_ids(LEAD) == {"1": "t1", "2": "t2"}
        assert ledger.created(LEAD) == [("1", "t1")]
        counts = ledger.counts()
        assert counts["lead"] == {"pending": 1, "done": 2}
        assert counts["contact"] == {"pending": 0, "done": 0}
        ledger.forget(LEAD, ["1", "3"])
        assert set(ledger.entries(LEAD)) == {"2"}
        assert [e.source_id for e in ledger] == ["2"]


def test_created_keeps_insertion_order_and_entities_apart(ledger_at: LedgerAt) -> None:
    ids = [str(n) for n in (5, 3, 9, 1, 7)]
    with Ledger(ledger_at("run")) as ledger:
        for source_id in ids:  # one batch each, in this order
            ledger.mark_pending(CONTACT, [(source_id, f"m{source_id}")])
            ledger.mark_done(CONTACT, [(source_id, f"t{source_id}", "c", True, None)])
        ledger.mark_pending(LEAD, [("5", "lead-5")])
        assert [s for s, _ in ledger.created(CONTACT)] == ids
        assert ledger.created(LEAD) == [] and set(ledger.entries(LEAD)) == {"5"}


def test_many_ids_are_read_in_one_call(ledger_at: LedgerAt) -> None:
    ids = [f"id-{n}" for n in range(1_234)]
    with Ledger(ledger_at("run")) as ledger:
        ledger.mark_pending(LEAD, [(i, f"m-{i}") for i in ids])
        wanted = [*ids[::3], "absent"]
        assert set(ledger.entries(LEAD, wanted)) == set(ids[::3])
        assert len(ledger.entries(LEAD)) == 1_234


def test_a_failing_batch_writes_nothing(ledger_at: LedgerAt) -> None:
    with Ledger(ledger_at("run")) as ledger:
        bad = [("1", "m1"), ("2", None), ("3", "m3")]  # marker is NOT NULL
        with pytest.raises((sqlite3.IntegrityError, ConfigurationError)):
            ledger.mark_pending(LEAD, bad)  # type: ignore[list-item]
        assert ledger.entries(LEAD) == {}


def test_runs_meta_and_binding_survive_reopening(ledger_at: LedgerAt) -> None:
    location = ledger_at("run")
    assert not ledger_exists(location)
    with Ledger(location) as ledger:
        ledger.bind("src://a", "dst://b")
        ledger.set_meta("mapping", {"b": [1, 2], "a": "ё"})
        first = ledger.begin_run("src://a", "dst://b")
        ledger.finish_run(first, "complete", {"written": 3})
        second = ledger.begin_run("src://a", "dst://b")
        ledger.mark_pending(LEAD, [("1", "m1")])
    assert ledger_exists(location)
    with Ledger(location) as ledger:
        assert ledger.get_meta("mapping") == {"a": "ё", "b": [1, 2]}
        assert ledger.get_meta("absent", "fallback") == "fallback"
        runs = ledger.runs()
        assert [(r.id, r.state) for r in runs] == [(first, "complete"), (second, "running")]
        assert second > first and runs[1].finished_at is None
        started = dt.datetime.fromisoformat(runs[0].started_at)
        assert started.tzinfo is not None
        assert abs((dt.datetime.now(dt.timezone.utc) - started).total_seconds()) < 60
        assert ledger.last_complete_run() == runs[0]
        ledger.bind("src://a", "dst://b")  # the same pair again is fine
        with pytest.raises(ConfigurationError, match="belongs to"):
            ledger.bind("src://a", "dst://other")
        assert set(ledger.entries(LEAD)) == {"1"}


# --- SQLite only -----------------------------------------------------------------------------


def test_sqlite_files_are_versioned_and_newer_ones_refused(tmp_path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:  # a file written before versioning: version 0, same tables
        db.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            'INSERT INTO meta VALUES (\'endpoints\', \'{"source": "s", "target": "t"}\');'
        )
    with Ledger(old) as ledger:
        assert ledger.get_meta("endpoints") == {"source": "s", "target": "t"}
    with sqlite3.connect(old) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(ConfigurationError, match="version 7, newer"):
        Ledger(old)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigurationError, match="not a usable SQLite file"):
        Ledger(junk)


# --- PostgreSQL only -------------------------------------------------------------------------


def test_named_ledgers_in_one_schema_are_independent(pg_schema_url: str) -> None:
    with (
        Ledger(pg_schema_url + "&ledger=acme") as acme,
        Ledger(pg_schema_url + "&ledger=globex") as globex,
    ):
        acme.bind("a", "b")
        globex.bind("c", "d")
        acme.mark_pending(LEAD, [("1", "acme-1")])
        globex.mark_pending(LEAD, [("1", "globex-1")])
        globex.mark_done(LEAD, [("1", "t9", "c", True, None)])
        run = acme.begin_run("a", "b")
        assert acme.entries(LEAD)["1"].state == "pending"
        assert globex.entries(LEAD)["1"].target_id == "t9"
        assert acme.created(LEAD) == [] and globex.created(LEAD) == [("1", "t9")]
        assert [r.id for r in acme.runs()] == [run] and globex.runs() == []
        assert globex.get_meta("endpoints") == {"source": "c", "target": "d"}
    with Ledger(pg_schema_url) as default:  # no ledger= : the ledger named "default"
        assert default.entries(LEAD) == {} and default.get_meta("endpoints") is None


def test_upgrade_from_version_1_keeps_every_row(pg_schema_url: str) -> None:
    url = PostgresURL.parse(pg_schema_url)
    with connect(url, "test") as db:
        assert upgrade(db, url.schema, "ledger", MIGRATIONS, target=1) == 1
        db.execute(
            'INSERT INTO ledger_meta VALUES (\'endpoints\', \'{"source": "s", "target": "t"}\')'
        )
        db.execute(
            "INSERT INTO ledger_records (entity, source_id, marker, state, target_id, checksum, "
            "created, written_at) VALUES ('lead', '7', 'm7', 'done', 't7', 'c7', true, now()), "
            "('lead', '3', 'm3', 'done', 't3', 'c3', true, now()), "
            "('lead', '8', 'm8', 'pending', NULL, NULL, false, NULL)"
        )
        db.execute(
            "INSERT INTO ledger_runs (started_at, finished_at, state, source, target) "
            "VALUES (now(), now(), 'complete', 's', 't')"
        )
    with Ledger(pg_schema_url) as ledger:  # opening upgrades to the latest version
        assert ledger.get_meta("endpoints") == {"source": "s", "target": "t"}
        assert ledger.created(LEAD) == [("7", "t7"), ("3", "t3")]
        assert ledger.counts()["lead"] == {"pending": 1, "done": 2}
        assert [r.state for r in ledger.runs()] == ["complete"]
        ledger.mark_pending(LEAD, [("8", "again"), ("9", "m9")])  # the new key still dedupes
        assert ledger.entries(LEAD)["8"].marker == "m8"
    with Ledger(pg_schema_url + "&ledger=other") as other:
        assert other.entries(LEAD) == {}
    with connect(url, "test") as db:
        assert current_version(db, "ledger") == len(MIGRATIONS) == 2


def test_a_newer_schema_is_refused(pg_schema_url: str) -> None:
    Ledger(pg_schema_url).close()
    url = PostgresURL.parse(pg_schema_url)
    with connect(url, "test") as db:
        db.execute("UPDATE schema_version SET version = 99 WHERE component = 'ledger'")
    with pytest.raises(ConfigurationError, match="version 99, newer than this unicrm knows"):
        Ledger(pg_schema_url)


def test_concurrent_first_opens_create_the_schema_once(pg_schema_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def open_and_write(n: int) -> None:
        try:
            barrier.wait()
            with Ledger(pg_schema_url) as ledger:
                ledger.mark_pending(LEAD, [(str(n), f"m{n}"), ("shared", f"from-{n}")])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_and_write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Ledger(pg_schema_url) as ledger:
        entries = ledger.entries(LEAD)
        assert set(entries) == {*map(str, range(8)), "shared"}
        assert entries["shared"].marker.startswith("from-")  # one writer won, none failed


def test_bad_urls_are_configuration_errors_without_secrets(postgres_url: str) -> None:
    with pytest.raises(ConfigurationError, match="schema=") as bad_schema:
        Ledger(postgres_url + "?schema=Robert'); DROP TABLE x;--")
    assert "DROP" in str(bad_schema.value)  # named, so the user sees what was wrong
    with pytest.raises(ConfigurationError, match="ledger=") as bad_name:
        Ledger(postgres_url + "?ledger=" + "x" * 300)
    assert bad_name.value is not None
    unreachable = "postgresql://bob:hunter2secret@127.0.0.1:1/test?schema=nowhere"
    with pytest.raises(ConfigurationError, match="cannot open the ledger") as refused:
        Ledger(unreachable)
    assert "hunter2secret" not in str(refused.value)
    assert "127.0.0.1" in str(refused.value)


def test_the_ledger_shows_its_url_without_the_password(pg_schema_url: str) -> None:
    url = pg_schema_url.replace("postgresql://postgres@", "postgresql://postgres:s3cr3tpw@")
    with Ledger(url) as ledger:  # trust auth: the password is accepted and ignored
        assert "s3cr3tpw" not in str(ledger.path) and "s3cr3tpw" not in repr(ledger)
        assert isinstance(ledger.store, PostgresLedgerStore)


def test_a_lost_connection_is_a_typed_error(postgres_url: str, pg_schema_url: str) -> None:
    from unicrm.errors import ConnectionFailed

    with Ledger(pg_schema_url) as ledger:
        store = ledger.store
        assert isinstance(store, PostgresLedgerStore)
        pid = store._db.info.backend_pid
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(ConnectionFailed, match="PostgreSQL ledger"):
            ledger.entries(LEAD)


def test_batches_find_their_rows_by_key_on_an_unanalysed_table(pg_schema_url: str) -> None:
    """A young ledger has no statistics; its batches must still be key lookups, not scans of
    the entity (which made a batch's cost grow with the ledger)."""
    with Ledger(pg_schema_url) as ledger:
        store = ledger.store
        assert isinstance(store, PostgresLedgerStore)
        for batch in range(50):
            ledger.mark_pending(LEAD, [(f"{batch}-{n}", "m") for n in range(100)])
        statements: list[tuple[str, tuple[object, ...]]] = []
        run = store._run

        def capture(sql, params=(), *, named=True):  # type: ignore[no-untyped-def]
            statements.append((sql, (store.name, *params) if named else params))
            return run(sql, params, named=named)

        store._run = capture  # type: ignore[method-assign]
        ids = [f"7-{n}" for n in range(100)]
        ledger.entries(LEAD, ids)
        ledger.mark_done(LEAD, [(i, "t", "c", True, None) for i in ids])
        assert len(statements) == 2
        for sql, params in statements:
            plan = "\n".join(r[0] for r in store._db.execute("EXPLAIN " + sql, params).fetchall())
            assert "Seq Scan on ledger_records" not in plan, plan
            assert "Hash Join" not in plan and "Merge Join" not in plan, plan
            lookups = [line for line in plan.splitlines() if "Index Cond" in line]
            assert any("source_id = v.s" in line for line in lookups), plan
