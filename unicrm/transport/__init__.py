"""The transport core vendor plugins build on: httpx client factory, retries with backoff,
error-decision tables, limiters, secrets and redaction, token stores and OAuth refresh.

Everything here is vendor-neutral; vendor plugins add their rule tables and limiters.
"""

from __future__ import annotations

from unicrm.transport.auth import (
    MAX_REPLAYS,
    BearerAuth,
    RefreshCall,
    TokenRefresher,
    ensure_first_pair,
)
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
from unicrm.transport.deadline import Deadline, call_budget, within
from unicrm.transport.limiter import CompositeLimiter, Limiter, NoLimiter, TokenBucket
from unicrm.transport.locks import SharedLock, shared_lock
from unicrm.transport.log_redaction import (
    TRAFFIC_LOGGERS,
    RedactingFilter,
    install_log_redaction,
    uninstall_log_redaction,
)
from unicrm.transport.retry import RetryPolicy, request_info, send
from unicrm.transport.secrets import (
    MASK,
    Secret,
    redact,
    redact_mapping,
    redact_registered,
    redact_url,
    register_secret,
)
from unicrm.transport.security import check_url_security, is_loopback
from unicrm.transport.tokens import (
    FileTokenStore,
    MemoryTokenStore,
    TokenPair,
    TokenStore,
    store_lock,
)

__all__ = [
    "MASK",
    "MAX_BODY_BYTES",
    "MAX_REPLAYS",
    "TRAFFIC_LOGGERS",
    "USER_AGENT",
    "Backoff",
    "BearerAuth",
    "CompositeLimiter",
    "Deadline",
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
    "SharedLock",
    "TokenBucket",
    "TokenPair",
    "TokenRefresher",
    "TokenStore",
    "call_budget",
    "check_url_security",
    "classify_with",
    "decode_json",
    "default_rules",
    "ensure_first_pair",
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
    "redact_registered",
    "redact_url",
    "register_secret",
    "request_info",
    "send",
    "shared_lock",
    "store_lock",
    "translate_exception",
    "uninstall_log_redaction",
    "within",
]

install_log_redaction()
