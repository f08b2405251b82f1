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
