"""This repository's own test settings; nothing here ships with unicrm.

* Hypothesis profiles ``ci`` (the default: 60 examples, derandomised, no deadline) and
  ``thorough`` (1000 examples); choose with ``HYPOTHESIS_PROFILE=thorough`` or
  ``--hypothesis-profile=thorough``.
* Tests never load stray installed unicrm plugins: ``UNICRM_PLUGINS`` is pinned to the
  first-party plugins unless the environment already sets it, and the plugin manager starts
  afresh. Tests that run a third-party adapter in a subprocess remove the variable there.

Services for the whole suite: PostgreSQL, Redis and RabbitMQ, found through the environment.

* ``UNICRM_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``),
  ``UNICRM_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``), ``UNICRM_TEST_AMQP_URL``
  (default ``amqp://guest:guest@127.0.0.1:5672//``).
* A test that asks for an absent service is skipped with the reason (which service, which
  URL, what failed); when the environment variable ``CI`` is set it fails instead, so CI can
  never pass by skipping what it was meant to test.
* PostgreSQL tests never share tables: ``pg_schema_url`` gives each test a fresh schema (in the
  URL's ``schema=`` parameter, see :mod:`unicrm.state.postgres`) and drops it afterwards, so
  any number of runs can use one server at once.

Redis and RabbitMQ are checked with their wire protocols' greetings over a plain socket (a
PING; the AMQP 0-9-1 protocol header), so the check needs no client library.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, settings

from unicrm.transport.secrets import redact_url

pytest_plugins = ["pytester"]  # the compliance kit's own tests run the suite on adapters

FIRST_PARTY_PLUGINS = "memory,bitrix24,amocrm"

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=60, derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("thorough", max_examples=1000, **_COMMON)  # type: ignore[arg-type]
# At import, before hypothesis' own plugin reads --hypothesis-profile (which then wins).
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("UNICRM_PLUGINS", FIRST_PARTY_PLUGINS)
    from unicrm.plugins import reset

    reset()


POSTGRES_ENV, REDIS_ENV, AMQP_ENV = (
    "UNICRM_TEST_POSTGRES_URL",
    "UNICRM_TEST_REDIS_URL",
    "UNICRM_TEST_AMQP_URL",
)
DEFAULTS = {
    POSTGRES_ENV: "postgresql://postgres@127.0.0.1:5432/test",
    REDIS_ENV: "redis://127.0.0.1:6379/0",
    AMQP_ENV: "amqp://guest:guest@127.0.0.1:5672//",
}
TIMEOUT = 3.0


def service_url(env: str) -> str:
    """The URL of a test service: the environment variable, else the machine's default."""
    return os.environ.get(env) or DEFAULTS[env]


def _postgres_problem(url: str) -> str | None:
    try:
        import psycopg
    except ImportError:
        return "the psycopg driver is not installed (pip install -e '.[dev]')"
    try:
        with psycopg.connect(url, connect_timeout=int(TIMEOUT)) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def _greeting_problem(url: str, default_port: int, hello: bytes, expect: bytes) -> str | None:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=TIMEOUT
        ) as sock:
            sock.sendall(hello)
            answer = sock.recv(64)
    except OSError as exc:
        return str(exc)
    return None if answer.startswith(expect) else f"unexpected greeting {answer[:16]!r}"


CHECKS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "postgres": (POSTGRES_ENV, _postgres_problem),
    "redis": (REDIS_ENV, lambda url: _greeting_problem(url, 6379, b"PING\r\n", b"+PONG")),
    # AMQP 0-9-1: the client sends the protocol header, the broker answers Connection.Start
    # (a method frame: type 1).
    "amqp": (AMQP_ENV, lambda url: _greeting_problem(url, 5672, b"AMQP\x00\x00\x09\x01", b"\x01")),
}
_checked: dict[str, str | None] = {}


def require_service(name: str) -> str:
    """The URL of service ``name`` (postgres, redis, amqp); skip, or under CI fail, if absent."""
    env, check = CHECKS[name]
    url = service_url(env)
    if name not in _checked:
        _checked[name] = check(url)
    problem = _checked[name]
    if problem is not None:
        reason = f"{name} is not reachable at {redact_url(url)} (set {env}): {problem}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so a missing service fails the run", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return require_service("postgres")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require_service("redis")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return require_service("amqp")


def with_params(url: str, **params: str) -> str:
    """``url`` with query parameters added."""
    joiner = "&" if urlsplit(url).query else "?"
    return url + joiner + "&".join(f"{k}={v}" for k, v in params.items())


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A state URL naming a fresh schema of its own (dropped after the test)."""
    import psycopg

    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    yield with_params(postgres_url, schema=schema)
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_at(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Where a test's ledgers live, once per backend: ``ledger_at("run")`` is a SQLite file in
    ``tmp_path``, or ledger ``run`` in a fresh PostgreSQL schema. The same name gives the same
    ledger again (a resumed run)."""
    if request.param == "sqlite":
        return lambda name: str(tmp_path / f"{name}.db")
    base = request.getfixturevalue("pg_schema_url")
    return lambda name: with_params(base, ledger=name)
