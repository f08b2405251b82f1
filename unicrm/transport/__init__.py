"""The transport core vendor plugins build on: httpx client factory, retries with backoff,
error-decision tables, limiters, secrets and redaction, token stores and OAuth refresh.

Everything here is vendor-neutral; vendor plugins add their rule tables and limiters.
"""

from __future__ import annotations

from unicrm.transport.auth import BearerAuth, RefreshCall, TokenRefresher
from unicrm.transport.backoff import Backoff, jitter, parse_retry_after
from unicrm.transport.bodies import MAX_BODY_BYTES, decode_json, json_problem, read_body, receive
from unicrm.transport.classify import (
    Decision,
    Resolution,
    ResponseView,
    Rule,
    classify_with,
    default_rules,
    translate_exception,
)
from unicrm.transport.client import USER_AGENT, make_async_client
from unicrm.transport.limiter import CompositeLimiter, Limiter, NoLimiter, TokenBucket
from unicrm.transport.retry import RetryPolicy, request_info, send
from unicrm.transport.secrets import (
    MASK,
    RedactingFilter,
    Secret,
    install_log_redaction,
    redact,
    redact_mapping,
    redact_url,
    register_secret,
)
from unicrm.transport.security import check_url_security, is_loopback
from unicrm.transport.tokens import FileTokenStore, MemoryTokenStore, TokenPair, TokenStore

__all__ = [
    "MASK",
    "MAX_BODY_BYTES",
    "USER_AGENT",
    "Backoff",
    "BearerAuth",
    "CompositeLimiter",
    "Decision",
    "FileTokenStore",
    "Limiter",
    "MemoryTokenStore",
    "NoLimiter",
    "RedactingFilter",
    "RefreshCall",
    "Resolution",
    "ResponseView",
    "RetryPolicy",
    "Rule",
    "Secret",
    "TokenBucket",
    "TokenPair",
    "TokenRefresher",
    "TokenStore",
    "check_url_security",
    "classify_with",
    "decode_json",
    "default_rules",
    "install_log_redaction",
    "is_loopback",
    "jitter",
    "json_problem",
    "make_async_client",
    "parse_retry_after",
    "read_body",
    "receive",
    "redact",
    "redact_mapping",
    "redact_url",
    "register_secret",
    "request_info",
    "send",
    "translate_exception",
]
