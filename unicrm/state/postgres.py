"""Reaching PostgreSQL for unicrm's shared state: URLs, schemas, the driver, errors, lock keys.

A state URL is a libpq URL (``postgresql://`` or ``postgres://``) plus unicrm's own query
parameters, which are taken off before connecting:

* ``schema``: the PostgreSQL schema that holds unicrm's tables (default ``unicrm``), created on
  first use; one schema holds any number of ledgers, token pairs and budgets;
* names a store asks for, e.g. ``ledger`` (which ledger in the schema).

``postgresql://postgres@127.0.0.1:5432/test?schema=unicrm&ledger=acme``

The driver is psycopg 3 (``pip install 'unicrm[postgres]'``), imported only when a PostgreSQL
store is opened, so the embedded SQLite default needs nothing extra. Connections run in
autocommit mode: every store opens its own transactions where it writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from unicrm.errors import ConfigurationError, ConnectionFailed
from unicrm.transport.secrets import redact_url

if TYPE_CHECKING:
    import psycopg

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "unicrm"
CONNECT_TIMEOUT = 10
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_NAME = re.compile(r"^[A-Za-z0-9_.:@/-]{1,200}$")
_LOCK_NAMESPACE = 0x756E6963  # "unic": the first key of every advisory lock unicrm takes


def is_postgres_url(location: object) -> bool:
    """Whether ``location`` (a path or URL) names PostgreSQL rather than a local file."""
    return (
        isinstance(location, str)
        and location.split("://", 1)[0].lower() in SCHEMES
        and ("://" in location)
    )


@attrs.frozen
class PostgresURL:
    """A parsed state URL: what to connect to, which schema, and unicrm's own parameters."""

    conninfo: str = attrs.field(repr=False)
    schema: str
    params: Mapping[str, str]
    shown: str

    @classmethod
    def parse(cls, url: str, own: Iterable[str] = ()) -> PostgresURL:
        """Split ``url``; ``own`` lists the parameters (besides ``schema``) a store reads.

        Raises :class:`ConfigurationError` for a bad schema name or a repeated parameter.
        """
        shown = redact_url(url)
        if not is_postgres_url(url):
            raise ConfigurationError(f"not a PostgreSQL URL: {shown}")
        parts = urlsplit(url)
        names = {"schema", *own}
        kept: list[tuple[str, str]] = []
        taken: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key not in names:
                kept.append((key, value))
            elif key in taken:
                raise ConfigurationError(f"{key}= is given twice in {shown}")
            else:
                taken[key] = value
        schema = taken.pop("schema", DEFAULT_SCHEMA)
        if not _IDENTIFIER.match(schema):
            raise ConfigurationError(
                f"schema={schema!r} in {shown} is not a plain PostgreSQL name "
                "(lower-case letters, digits and _, not starting with a digit, at most 63)"
            )
        conninfo = urlunsplit(parts._replace(query=urlencode(kept)))
        return cls(conninfo, schema, taken, shown)

    def name(self, key: str, default: str) -> str:
        """The store name ``key=`` (e.g. which ledger), checked to be printable and short."""
        value = self.params.get(key, default)
        if not _NAME.match(value):
            raise ConfigurationError(
                f"{key}={value!r} in {self.shown} must be 1-200 letters, digits or _.:@/-"
            )
        return value


def driver() -> Any:
    """The psycopg module, or a clear error naming the extra that installs it."""
    try:
        import psycopg
    except ImportError:
        raise ConfigurationError(
            "PostgreSQL state needs the psycopg driver: pip install 'unicrm[postgres]'"
        ) from None
    return psycopg


def connect(url: PostgresURL, purpose: str) -> psycopg.Connection[tuple[Any, ...]]:
    """An autocommit connection whose ``search_path`` is the URL's schema (which may not exist
    yet: :func:`unicrm.state.schema.upgrade` creates it)."""
    pg = driver()
    try:
        connection: psycopg.Connection[tuple[Any, ...]] = pg.connect(
            url.conninfo,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=f"unicrm {purpose}"[:63],
        )
    except pg.Error as exc:
        raise ConfigurationError(
            f"cannot open the {purpose} at {url.shown}: {_first_line(exc)}"
        ) from None
    connection.execute(pg.sql.SQL("SET search_path TO {}").format(pg.sql.Identifier(url.schema)))
    return connection


@contextlib.contextmanager
def state_errors(url: PostgresURL, purpose: str) -> Iterator[None]:
    """Translate the driver's errors into unicrm's: a lost or refused connection becomes
    :class:`ConnectionFailed` (the statement may have been applied); anything else a
    :class:`ConfigurationError` naming the store. Secrets in the URL stay redacted."""
    pg = driver()
    try:
        yield
    except pg.OperationalError as exc:
        raise ConnectionFailed(
            f"PostgreSQL {purpose} at {url.shown} failed: {_first_line(exc)}"
        ) from None
    except pg.Error as exc:
        raise ConfigurationError(
            f"PostgreSQL {purpose} at {url.shown} failed: {_first_line(exc)}"
        ) from None


def lock_key(*parts: str) -> tuple[int, int]:
    """The two-int4 key of a PostgreSQL advisory lock for ``parts``: unicrm's namespace and a
    stable hash (the same in every process and on every machine, unlike Python's ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=4).digest()
    return _LOCK_NAMESPACE, int.from_bytes(digest, "big", signed=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return redact_url(text[0]) if text else type(exc).__name__


__all__ = [
    "DEFAULT_SCHEMA",
    "PostgresURL",
    "connect",
    "driver",
    "is_postgres_url",
    "lock_key",
    "state_errors",
]
