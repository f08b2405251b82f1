"""Argument types of the ``unicrm`` commands: what click can check before anything runs.

A bad argument is a usage error (exit 2, one line, no traceback) only if click finds it while
parsing, so every argument whose shape is known without a plugin or a network is typed here:
ports, CRM URLs (the checks of :func:`unicrm.plugins.split_url`; which adapter answers a scheme
is configuration, exit 3), ``--where`` expressions, Bitrix24 webhooks, ISO 8601 times, files
to create. Messages never repeat a value that may be secret (URLs, webhooks, tokens).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from unicrm.errors import ConfigurationError, QueryError
from unicrm.plugins import split_url
from unicrm.plugins.urls import MAX_PORT
from unicrm.query import Node

#: A TCP port to listen on; 0 picks a free one.
PORT = click.IntRange(0, MAX_PORT)
#: A non-negative number of milliseconds.
MILLISECONDS = click.FloatRange(min=0.0)
#: A fraction of requests.
FRACTION = click.FloatRange(0.0, 1.0)

_WEBHOOK = re.compile(r"\d+/[A-Za-z0-9]+")

if TYPE_CHECKING:  # click >= 8.2 types ParamType by the value it converts to; 8.1 does not
    _TextType = click.ParamType[str]
    _NodeType = click.ParamType[Node]
    _TimeType = click.ParamType[dt.datetime]
else:
    _TextType = _NodeType = _TimeType = click.ParamType


class CrmUrl(_TextType):
    """A CRM URL that passes the checks common to every scheme."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            split_url(value)
        except ConfigurationError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


class WhereExpression(_NodeType):
    """A ``--where`` expression, compiled to a predicate (see :mod:`unicrm.cli.where`)."""

    name = "expression"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Node:
        if isinstance(value, Node):
            return value
        from unicrm.cli.where import parse_where

        try:
            return parse_where(str(value))
        except QueryError as exc:
            self.fail(str(exc).removeprefix("--where: "), param, ctx)


class Webhook(_TextType):
    """A Bitrix24 incoming webhook ``USER/CODE`` (digits / letters and digits)."""

    name = "user/code"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip("/")
        if not _WEBHOOK.fullmatch(text):
            self.fail(
                "expected USER/CODE such as 1/k2x9... (digits / letters and digits)", param, ctx
            )
        return text


class IsoTime(_TimeType):
    """An ISO 8601 time; without a zone it is read as UTC."""

    name = "time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            parsed = dt.datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 time such as 2024-05-01T00:00:00+00:00", param, ctx
            )
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


class NonEmpty(_TextType):
    """A string that is not blank (secrets: the value is never repeated)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not str(value).strip():
            self.fail("must not be empty", param, ctx)
        return str(value)


class NewFile(click.Path):
    """A file to write (or open, creating it): its directory must exist."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, writable=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        parent = Path(str(path)).parent
        if not parent.is_dir():
            self.fail(f"directory {str(parent)!r} does not exist", param, ctx)
        return path


__all__ = [
    "FRACTION",
    "MILLISECONDS",
    "PORT",
    "CrmUrl",
    "IsoTime",
    "NewFile",
    "NonEmpty",
    "Webhook",
    "WhereExpression",
]
