"""Secrets never reach reprs, strs, logs, errors or plans; plain http only to loopback."""

from __future__ import annotations

import logging
import pickle

import httpx
import pytest

from unicrm import ConfigurationError
from unicrm.errors import RequestInfo, VendorError
from unicrm.transport import (
    MASK,
    USER_AGENT,
    BearerAuth,
    Secret,
    TokenPair,
    check_url_security,
    is_loopback,
    make_async_client,
    redact,
    redact_mapping,
    redact_url,
    register_secret,
)


def test_secret_hides_itself_but_reveals_on_request() -> None:
    secret = Secret("client-secret-value-42")
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])):
        assert "client-secret-value-42" not in shown
    assert secret.reveal() == "client-secret-value-42"
    assert Secret(secret) == secret and hash(Secret(secret)) == hash(secret)
    assert pickle.loads(pickle.dumps(secret)) == secret
    assert not Secret("")


def test_a_created_secret_is_redacted_everywhere_in_text() -> None:
    secret = Secret("zq-unique-secret-777")
    assert redact("oops the value zq-unique-secret-777 leaked") == f"oops the value {MASK} leaked"
    register_secret("abc")  # too short to register safely: ignored
    assert redact("abc") == "abc"
    assert secret  # keep alive


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("https://x.bitrix24.ru/rest/1/q1w2e3r4t5y6/crm.lead.list", "q1w2e3r4t5y6"),
        ("https://h/api?access_token=AAA111&x=1", "AAA111"),
        ("https://h/api?x=1&auth=BBB222", "BBB222"),
        ("https://h/oauth?client_secret=CCC333&code=DDD444", "CCC333"),
        ("https://h/oauth?client_secret=CCC333&code=DDD444", "DDD444"),
        ("https://user:pa55word@h.example/x", "pa55word"),
        ("Authorization: Bearer eyJhbGciOi.J9.xyz", "eyJhbGciOi.J9.xyz"),
        ('{"refresh_token=EEE555"}', "EEE555"),
    ],
)
def test_redact_patterns(text: str, hidden: str) -> None:
    cleaned = redact(text)
    assert hidden not in cleaned
    assert MASK in cleaned


def test_redact_url_and_mapping() -> None:
    assert "WXYZ9876" not in redact_url(httpx.URL("https://h/rest/7/WXYZ9876/"))
    cleaned = redact_mapping(
        {"auth": "x", "Password": "y", "filter": {"token": "z", "title": "ok"}, "n": 3}
    )
    assert cleaned == {
        "auth": MASK,
        "Password": MASK,
        "filter": {"token": MASK, "title": "ok"},
        "n": 3,
    }
    assert redact_mapping(None) == {}


def test_logs_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret("log-secret-value-99")
    logger = logging.getLogger("unicrm.transport.test")
    with caplog.at_level(logging.INFO, logger="unicrm"):
        logger.info("calling %s with %s", "https://h/api?access_token=TTT", secret.reveal())
        logger.warning("plain %s", f"code={secret.reveal()}")
        logging.getLogger("unicrm_somevendor.client").warning("sent %s", secret.reveal())
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert "log-secret-value-99" not in text
    assert "TTT" not in text
    assert "calling https://h/api?access_token=***" in text


def test_errors_and_token_pairs_do_not_show_secrets() -> None:
    secret = Secret("err-secret-value-55")
    pair = TokenPair(access_token=secret, refresh_token="refresh-secret-66", expires_at=1.0)
    assert "err-secret-value-55" not in repr(pair) and "refresh-secret-66" not in repr(pair)
    assert pair.to_json()["refresh_token"] == "refresh-secret-66"  # only for the store
    info = RequestInfo("GET", redact_url("https://h/rest/1/err-secret-value-55/x"))
    error = VendorError("failed", request=info)
    assert "err-secret-value-55" not in str(error) + repr(error)
    assert repr(BearerAuth(refresher=None)) == "BearerAuth(***)"  # type: ignore[arg-type]


# --- plain http ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.5.6.7", True),
        ("localhost", True),
        ("[::1]", True),
        ("::1", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("localhost.evil.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "url", ["https://x.example", "http://127.0.0.1:8000", "http://localhost/x", "http://[::1]:9/"]
)
def test_allowed_urls(url: str) -> None:
    check_url_security(url)


def test_plain_http_to_a_remote_host_is_refused_without_leaking_credentials() -> None:
    with pytest.raises(ConfigurationError, match="refusing plain http") as caught:
        check_url_security("http://crm.example.com/rest/1/secretcode123/")
    assert "secretcode123" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="unsupported URL scheme"):
        check_url_security("ftp://crm.example.com/")
    with pytest.raises(ConfigurationError):
        make_async_client("http://crm.example.com")


def test_client_factory_defaults() -> None:
    client = make_async_client("https://crm.example", timeout=5, max_connections=3)
    assert client.headers["user-agent"] == USER_AGENT
    assert client.headers["accept"] == "application/json"
    assert client.timeout.read == 5
    assert client.follow_redirects is False
