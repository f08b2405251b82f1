"""Keeping secrets out of every log record, whoever logs it (unicrm, httpx, httpcore, uvicorn).

What unicrm installs, once, when :mod:`unicrm.transport` is first imported, and why:

* **A log-record factory**, chained to the factory that was in place (so another library's
  factory keeps working). It cleans each record as it is made, before any filter, handler or
  formatter sees it — the only hook that sees records of *every* logger, children included:
  a filter on ``httpx`` or ``httpcore`` does not run for records of ``httpcore.http11`` or
  ``httpcore.connection``, and a handler filter would have to be added to handlers unicrm does
  not own. The factory runs only for records whose level is enabled, so disabled DEBUG
  logging costs nothing. What it does, by logger (:data:`TRAFFIC_LOGGERS`):

  ======================================  =================================================
  logger                                  cleaning
  ======================================  =================================================
  ``unicrm*`` (core and plugins)          message formatted with its arguments, then fully
                                          redacted (registered secrets and credential spots:
                                          webhook path codes, ``client_secret=``, ``Bearer``…)
  ``httpx``, ``httpcore``, ``uvicorn``,   each argument and the template redacted fully, in
  ``h11``, ``h2``, ``hpack`` and children place: the template and argument types are kept,
                                          because formatters read them (uvicorn's access
                                          formatter unpacks ``record.args``; ``%d`` needs an int)
  every other logger                      only values registered as secrets (webhook codes,
                                          tokens, client secrets unicrm was given) are blanked,
                                          in place; nothing else in the record changes
  ======================================  =================================================

  A traceback (``exc_info``) or ``stack_info`` that would print a secret is replaced by its
  redacted text (``exc_text``), which every standard formatter prints.

* **A filter** (:class:`RedactingFilter`) on the ``unicrm`` logger, kept for callers that
  check for it; the factory already covers those records.

Nothing else: no handler, no level, no formatter and no root-logger setting is touched, so
``logging.basicConfig``/``dictConfig`` keep working as configured. Undo with
:func:`uninstall_log_redaction` (for tests, or an application that redacts by itself).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from unicrm.transport.secrets import redact, redact_registered

#: Logger-name prefix whose records are fully redacted, message and arguments joined: the core
#: (``unicrm.*``) and the plugins by convention (``unicrm_<vendor>.*``).
REDACTED_PREFIX = "unicrm"
#: Loggers (and their children) that log unicrm's traffic: URLs, hosts, paths, status lines.
TRAFFIC_LOGGERS = ("httpx", "httpcore", "uvicorn", "h11", "h2", "hpack")

Cleaner = Callable[[str], str]
_PLAIN = (int, float, bool, type(None))
_lock = threading.Lock()
_installed: dict[str, Any] = {}


def _scrub_joined(record: logging.LogRecord) -> None:
    if record.args:
        try:
            record.msg = record.getMessage()
        except (TypeError, ValueError):
            record.msg = str(record.msg)
        record.args = None
    record.msg = redact(str(record.msg))


def _clean_value(value: Any, clean: Cleaner) -> Any:
    """``value`` itself when neither its ``str`` nor its ``repr`` shows a secret, else the
    redacted text (a string is returned redacted; numbers are left alone)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, str):
        return clean(value)
    for show in (str, repr):
        try:
            shown = show(value)
        except Exception:  # a broken __str__ fails at format time as it would have anyway
            continue
        cleaned = clean(shown)
        if cleaned != shown:
            return cleaned
    return value


def _clean_traceback(record: logging.LogRecord, clean: Cleaner) -> None:
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        cleaned = clean(text)
        if cleaned != text:
            record.exc_info, record.exc_text = None, cleaned
    elif record.exc_text:
        record.exc_text = clean(record.exc_text)
    if record.stack_info:
        record.stack_info = clean(record.stack_info)


def _scrub_in_place(record: logging.LogRecord, clean: Cleaner) -> None:
    record.msg = _clean_value(record.msg, clean)
    args = record.args
    if isinstance(args, Mapping):
        record.args = {key: _clean_value(value, clean) for key, value in args.items()}
    elif args:
        record.args = tuple(_clean_value(value, clean) for value in args)
    _clean_traceback(record, clean)


def _is_traffic(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in TRAFFIC_LOGGERS)


def scrub_record(record: logging.LogRecord) -> None:
    """Clean ``record`` in place as the table in the module docstring says."""
    name = record.name or ""
    if name.startswith(REDACTED_PREFIX):
        _scrub_joined(record)
        _clean_traceback(record, redact)
    elif _is_traffic(name):
        _scrub_in_place(record, redact)
    else:
        _scrub_in_place(record, redact_registered)


class RedactingFilter(logging.Filter):
    """A logging filter that formats and fully redacts the message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub_joined(record)
        _clean_traceback(record, redact)
        return True


def _install_record_factory() -> None:
    with _lock:
        if "factory" in _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed.update(factory=factory, previous=previous)


def install_log_redaction(logger_name: str = "unicrm") -> None:
    """Install the record factory (once) and :class:`RedactingFilter` on ``logger_name``."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    _install_record_factory()


def uninstall_log_redaction() -> bool:
    """Put the previous record factory back, if ours is still the one in place.

    Returns whether it was removed (False when another factory was installed on top of ours:
    removing ours then would drop that one too).
    """
    with _lock:
        factory = _installed.get("factory")
        if factory is None or logging.getLogRecordFactory() is not factory:
            return False
        logging.setLogRecordFactory(_installed.pop("previous"))
        del _installed["factory"]
        return True


__all__ = [
    "REDACTED_PREFIX",
    "TRAFFIC_LOGGERS",
    "RedactingFilter",
    "install_log_redaction",
    "scrub_record",
    "uninstall_log_redaction",
]
