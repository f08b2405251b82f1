"""Declared adapter options (``unicrm.plugins.Option``/``Kind``), the URL checks every scheme
passes (``split_url``), and how ``connect`` applies both to a third-party adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import httpx
import pytest

import unicrm
from unicrm import ConfigurationError
from unicrm.adapter import Adapter
from unicrm.plugins import (
    AdapterSpec,
    Kind,
    Option,
    check_options,
    hookimpl,
    register_plugin,
    reset,
    split_url,
)
from unicrm.transport import MemoryTokenStore, Secret

OPTIONS = (
    Option("timeout", Kind.seconds()),
    Option("batch", Kind.integer(1, 50)),
    Option("share", Kind.number(0, below=10)),
    Option("mode", Kind.choice("fast", "exact")),
    Option("name", Kind.text()),
    Option("token", Kind.secret(), secret=True),
    Option("server", Kind.url("https")),
    Option("store", Kind.having("load", "save", expected="a token store")),
    Option("transport", Kind.instance_of(httpx.AsyncBaseTransport, expected="a transport")),
    Option("extra", Kind.anything()),
)


@pytest.mark.parametrize(
    "name, given, expected",
    [
        ("timeout", 2, 2.0),
        ("timeout", "2.5", 2.5),
        ("timeout", Decimal("0.1"), 0.1),
        ("batch", 50, 50),
        ("batch", " 8", 8),
        ("share", 0, 0.0),
        ("share", "9.99", 9.99),
        ("mode", "exact", "exact"),
        ("name", "x", "x"),
        ("server", "https://auth.example/token", "https://auth.example/token"),
        ("extra", [1], [1]),
    ],
)
def test_kinds_convert_what_they_accept(name: str, given: object, expected: object) -> None:
    assert check_options("demo", {name: given}, OPTIONS) == {name: expected}


@pytest.mark.parametrize(
    "name, given",
    [
        ("timeout", 0),
        ("timeout", "-1"),
        ("timeout", "soon"),
        ("timeout", float("inf")),
        ("timeout", True),
        ("timeout", [1]),
        ("batch", 0),
        ("batch", 51),
        ("batch", 2.0),
        ("batch", "2.0"),
        ("batch", False),
        ("share", 10),
        ("share", -0.1),
        ("share", float("nan")),
        ("mode", "FAST"),
        ("mode", 1),
        ("name", ""),
        ("name", "  "),
        ("name", b"x"),
        ("server", "http://auth.example/token"),
        ("server", "https://auth.example:99999/"),
        ("server", 5),
        ("store", "tokens.json"),
        ("transport", httpx.Client()),
    ],
)
def test_kinds_refuse_naming_the_option_and_what_it_must_be(name: str, given: object) -> None:
    expected = next(o.kind.expected for o in OPTIONS if o.name == name)
    with pytest.raises(ConfigurationError) as caught:
        check_options("demo", {name: given}, OPTIONS)
    assert str(caught.value).startswith(f"demo option {name} must be {expected}, got ")


def test_secrets_are_never_shown_and_secret_objects_pass_unchanged() -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_options("demo", {"token": 987654321}, OPTIONS)
    assert "987654321" not in str(caught.value)
    assert "a value of type int" in str(caught.value)
    token = Secret("abc")
    assert check_options("demo", {"token": token}, OPTIONS)["token"] is token


def test_protocol_and_instance_kinds_accept_real_objects() -> None:
    store = MemoryTokenStore()
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    checked = check_options("demo", {"store": store, "transport": transport}, OPTIONS)
    assert checked["store"] is store and checked["transport"] is transport


def test_unknown_names_list_every_valid_one_and_suggest_the_nearest() -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_options("demo", {"timout": 1, "zzz": 2}, OPTIONS)
    message = str(caught.value)
    assert message.startswith("unknown demo options 'timout' (did you mean 'timeout'?), 'zzz';")
    assert message.endswith("valid options: " + ", ".join(sorted(o.name for o in OPTIONS)))


def test_none_is_not_given() -> None:
    assert check_options("demo", {"timeout": None, "batch": 3}, OPTIONS) == {"batch": 3}


# --- split_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "memory://",
        "memory://name",
        "x+http://127.0.0.1:1/p?q=1",
        "x://[::1]:65535",
        "x://sub-domain.example.com.",
        "x://пример.рф/path",
        "x://user@host",
    ],
)
def test_split_url_accepts_ordinary_urls(url: str) -> None:
    assert split_url(url).scheme == url.split("://", maxsplit=1)[0]


@pytest.mark.parametrize(
    "url, message",
    [
        ("x:/host", "scheme://"),
        ("1x://host", "scheme://"),
        ("x://host:65536", "port '65536'"),
        ("x://host:-1", "port '-1'"),
        ("x://host:+1", r"port '\+1'"),
        ("x://host:1:2", "port"),
        ("x://host\t", "position 8"),
        ("x://ho\u200bst", None),
        ("x://host/a b", "whitespace"),
        ("x://host/#", "#fragment"),
        ("x://ho%73t", "not a host name"),
        ("x://-", None),
    ],
)
def test_split_url_refuses(url: str, message: str | None) -> None:
    if message is None:  # characters that are not in any host name
        with pytest.raises(ConfigurationError):
            split_url(url)
        return
    with pytest.raises(ConfigurationError, match=message):
        split_url(url)


# --- through connect, for an adapter of a third party ----------------------------------------


class _ThirdParty:
    """A plugin whose factory fails the way careless adapters do."""

    def __init__(self, failure: Exception | None, options: tuple[Option, ...] | None) -> None:
        self.failure = failure
        self.options = options
        self.received: list[Mapping[str, Any]] = []

    def factory(self, url: str, options: Mapping[str, Any]) -> Adapter:
        self.received.append(dict(options))
        if self.failure is not None:
            raise self.failure
        from unicrm_memory.adapter import MemoryAdapter

        return MemoryAdapter.from_url("memory://", {})

    @hookimpl
    def unicrm_register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
        register(AdapterSpec("third", ("third",), self.factory, options=self.options))


@pytest.fixture
def third_party() -> Iterator[Callable[..., _ThirdParty]]:
    def install(failure: Exception | None = None, options: Any = None) -> _ThirdParty:
        plugin = _ThirdParty(failure, options)
        register_plugin(plugin, name="third")
        return plugin

    reset()
    yield install
    reset()


@pytest.mark.parametrize(
    "failure",
    [ValueError("bad port 'x'"), TypeError("int() argument"), httpx.InvalidURL("Invalid port")],
)
def test_a_factory_that_raises_a_bare_error_gives_a_configuration_error(
    third_party: Callable[..., _ThirdParty], failure: Exception
) -> None:
    third_party(failure)
    with pytest.raises(ConfigurationError, match="third refused the URL or options") as caught:
        unicrm.connect("third://host")
    assert caught.value.__cause__ is failure


def test_declared_options_are_checked_before_the_factory_runs(
    third_party: Callable[..., _ThirdParty],
) -> None:
    plugin = third_party(options=(Option("timeout", Kind.seconds()),))
    with pytest.raises(ConfigurationError, match="unknown third option 'retries'"):
        unicrm.connect("third://host", retries=3)
    with pytest.raises(ConfigurationError, match="third option timeout must be"):
        unicrm.connect("third://host", timeout="x")
    assert plugin.received == []
    unicrm.connect("third://host", timeout="4")
    assert plugin.received == [{"timeout": 4.0}]


def test_undeclared_options_reach_the_factory_as_given(
    third_party: Callable[..., _ThirdParty],
) -> None:
    plugin = third_party()
    unicrm.connect("third://host", anything="goes")
    assert plugin.received == [{"anything": "goes"}]
    with pytest.raises(ConfigurationError, match="port"):
        unicrm.connect("third://host:70000")
