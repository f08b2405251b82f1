"""``connect`` / ``connect_async``: URL schemes and clear errors for unknown ones."""

from __future__ import annotations

import pytest

import unicrm
from unicrm import ConfigurationError


def test_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError) as caught:
        unicrm.connect("nosuch://x")
    message = str(caught.value)
    assert "'nosuch'" in message
    for scheme in unicrm.known_schemes():
        assert scheme in message
    assert "memory" in message


def test_known_schemes_include_the_first_party_plugins() -> None:
    schemes = unicrm.known_schemes()
    assert "memory" in schemes
    assert schemes == sorted(schemes)


@pytest.mark.parametrize("url", ["memory", "", "just text"])
def test_not_a_url(url: str) -> None:
    with pytest.raises(ConfigurationError, match="known schemes"):
        unicrm.connect(url)


def test_connect_async_has_the_same_checks() -> None:
    with pytest.raises(ConfigurationError, match="memory"):
        unicrm.connect_async("nosuch://x")


def test_scheme_is_case_insensitive_and_options_reach_the_adapter() -> None:
    crm = unicrm.connect("MEMORY://connect-case", pushdown="none")
    assert "pushdown=none" in repr(crm)
    assert isinstance(crm, unicrm.CRM)
    assert isinstance(unicrm.connect_async("memory://connect-case"), unicrm.AsyncCRM)


def test_adapter_option_errors_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="none, basic, full"):
        unicrm.connect("memory://?pushdown=everything")


# --- bad URLs and options are ConfigurationErrors on every first-party scheme ---------------

#: scheme -> (host, path, options that make a good URL connect)
FIRST_PARTY: dict[str, tuple[str, str, dict[str, object]]] = {
    "memory": ("connect-checks", "", {}),
    "bitrix24": ("portal.bitrix24.ru", "/rest/1/qq7secret/", {}),
    "bitrix24+http": ("127.0.0.1:8024", "/rest/1/qq7secret/", {}),
    "amocrm": ("sub.amocrm.ru", "", {"token": "tok-secret"}),
    "kommo": ("sub.kommo.com", "", {"token": "tok-secret"}),
    "amocrm+http": ("127.0.0.1:8002", "", {"token": "tok-secret"}),
}
HOST_ONLY = {"memory": "connect-checks", "bitrix24+http": "127.0.0.1", "amocrm+http": "127.0.0.1"}

#: name -> (netloc given the bare host, what the message says)
BAD_NETLOCS = {
    "port-too-big": ("{host}:99999", "port '99999' is not a number from 1 to 65535"),
    "port-not-a-number": ("{host}:abc", "port 'abc' is not a number"),
    "port-zero": ("{host}:0", "port 0 is not from 1 to 65535"),
    "port-empty": ("{host}:", "empty port"),
    "unbalanced-ipv6": ("[::1", "cannot be read"),
    "bad-ipv6": ("[fe80::zz]", "IPv6 address"),
    "space-in-host": ("por tal", "whitespace"),
    "bad-host-characters": ("po*rtal", "not a host name"),
}


def _bare_host(scheme: str) -> str:
    return HOST_ONLY.get(scheme, FIRST_PARTY[scheme][0])


def _url(scheme: str, netloc: str | None = None, suffix: str = "") -> str:
    host, path, _ = FIRST_PARTY[scheme]
    return f"{scheme}://{netloc if netloc is not None else host}{path}{suffix}"


@pytest.mark.parametrize("scheme", sorted(FIRST_PARTY))
def test_the_good_url_of_each_scheme_connects(scheme: str) -> None:
    crm = unicrm.connect(_url(scheme), **FIRST_PARTY[scheme][2])
    assert isinstance(crm, unicrm.CRM)
    crm.close()


@pytest.mark.parametrize("case", sorted(BAD_NETLOCS))
@pytest.mark.parametrize("scheme", sorted(FIRST_PARTY))
def test_bad_hosts_and_ports_are_configuration_errors(scheme: str, case: str) -> None:
    netloc, message = BAD_NETLOCS[case]
    url = _url(scheme, netloc.format(host=_bare_host(scheme)))
    with pytest.raises(ConfigurationError, match=message) as caught:
        unicrm.connect(url, **FIRST_PARTY[scheme][2])
    assert "qq7secret" not in str(caught.value) and "tok-secret" not in str(caught.value)


@pytest.mark.parametrize(
    "suffix, message",
    [
        pytest.param("#frag", "#fragment", id="fragment"),
        pytest.param("\n", "whitespace or a control character", id="trailing-newline"),
        pytest.param("\x00", "control character", id="nul"),
    ],
)
@pytest.mark.parametrize("scheme", sorted(FIRST_PARTY))
def test_fragments_and_control_characters_are_refused(
    scheme: str, suffix: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        unicrm.connect(_url(scheme, suffix=suffix), **FIRST_PARTY[scheme][2])
    assert "qq7secret" not in str(caught.value)


@pytest.mark.parametrize("scheme", sorted(FIRST_PARTY))
def test_unknown_options_are_refused_with_the_valid_ones(scheme: str) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown \S+ option 'bogus'") as caught:
        unicrm.connect(_url(scheme), bogus=1, **FIRST_PARTY[scheme][2])
    assert "valid options:" in str(caught.value)
    assert "concurrency" in str(caught.value) or "page_size" in str(caught.value)


@pytest.mark.parametrize("scheme", ["bitrix24", "bitrix24+http", "amocrm", "kommo", "amocrm+http"])
def test_a_misspelt_option_names_the_nearest_one(scheme: str) -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'timeout'"):
        unicrm.connect(_url(scheme), timout=5, **FIRST_PARTY[scheme][2])


@pytest.mark.parametrize("timeout", ["x", -1, 0, float("nan"), float("inf"), True, [5]])
@pytest.mark.parametrize("scheme", ["bitrix24", "bitrix24+http", "amocrm", "kommo", "amocrm+http"])
def test_bad_timeouts_are_configuration_errors(scheme: str, timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="option timeout must be a positive number"):
        unicrm.connect(_url(scheme), timeout=timeout, **FIRST_PARTY[scheme][2])


@pytest.mark.parametrize(
    "scheme, option, value, message",
    [
        ("memory", "page_size", True, "page_size must be a whole number"),
        ("memory", "page_size", "many", "page_size must be a whole number"),
        ("memory", "pushdown", "most", "pushdown must be one of none, basic, full"),
        ("memory", "store", {}, "store must be a unicrm_memory MemoryStore"),
        ("bitrix24", "concurrency", 0, "concurrency must be a whole number of at least 1"),
        ("bitrix24", "write_batch_size", 51, "write_batch_size must be a whole number from 1"),
        ("bitrix24", "limits", "gold", "limits must be one of"),
        ("bitrix24", "contact_links", "all", "contact_links must be one of exact, primary"),
        ("bitrix24", "transport", "http", "transport must be an httpx async transport"),
        ("bitrix24", "token_store", "file.json", "token_store must be a token store"),
        ("bitrix24+http", "oauth_url", "not a url", "oauth_url must be a https or http URL"),
        ("amocrm", "write_batch_size", 251, "write_batch_size must be a whole number from 1"),
        ("amocrm", "rate", -7, "rate must be a whole number of at least 1"),
        ("amocrm", "concurrency", 1.5, "concurrency must be a whole number"),
        ("kommo", "redirect_uri", "ftp://x", "redirect_uri must be a https or http URL"),
        ("amocrm+http", "transport", object(), "transport must be an httpx async transport"),
    ],
)
def test_option_values_of_the_wrong_kind_name_the_option(
    scheme: str, option: str, value: object, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        unicrm.connect(_url(scheme), **{**FIRST_PARTY[scheme][2], option: value})


@pytest.mark.parametrize("scheme", ["amocrm", "kommo", "amocrm+http"])
@pytest.mark.parametrize("token", ["", "   ", 12345])
def test_a_bad_secret_is_refused_without_showing_it(scheme: str, token: object) -> None:
    with pytest.raises(ConfigurationError, match="token must be a non-empty string") as caught:
        unicrm.connect(_url(scheme), token=token)
    assert "12345" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "bitrix24://portal.bitrix24.ru/rest/1/qq7secret/?limits=off",
        "amocrm://sub.amocrm.ru/api/v4",
        "amocrm://sub.amocrm.ru?token=x",
    ],
)
def test_vendor_urls_take_no_query_or_extra_path(url: str) -> None:
    with pytest.raises(ConfigurationError, match="give settings as options") as caught:
        unicrm.connect(url, token="tok-secret") if "amocrm" in url else unicrm.connect(url)
    assert "qq7secret" not in str(caught.value)


def test_environment_strings_are_read_as_numbers() -> None:
    """The CLI passes ``UNICRM_<ADAPTER>_<OPTION>`` values as strings."""
    crm = unicrm.connect("memory://env-strings", page_size="7")
    assert crm.capabilities.page_size == 7
    assert unicrm.connect(_url("amocrm"), token="t", timeout="12.5", concurrency="3")


def test_none_means_not_given() -> None:
    crm = unicrm.connect("memory://none-options", page_size=None, pushdown=None)
    assert "pushdown=full" in repr(crm)


@pytest.mark.parametrize("url", [b"memory://", 42, None])
def test_a_url_that_is_not_a_string(url: object) -> None:
    with pytest.raises(ConfigurationError, match="scheme://"):
        unicrm.connect(url)  # type: ignore[arg-type]
