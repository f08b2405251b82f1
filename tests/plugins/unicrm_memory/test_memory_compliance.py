"""The memory adapter passes the whole compliance suite at every pushdown level."""

from __future__ import annotations

from typing import ClassVar

import pytest

import unicrm
from unicrm.errors import ConfigurationError
from unicrm.testing import ComplianceSuite


class _Memory(ComplianceSuite):
    level: ClassVar[str] = "full"
    differential_examples = 500

    def make_crm(self) -> unicrm.CRM:
        return unicrm.connect(f"memory://?pushdown={self.level}&page_size=25")


class TestMemoryNoPushdown(_Memory):
    level = "none"


class TestMemoryBasicPushdown(_Memory):
    level = "basic"


class TestMemoryFullPushdown(_Memory):
    level = "full"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("memory://?pushdown=most", id="bad-level"),
        pytest.param("memory://?page_size=zero", id="bad-page-size"),
        pytest.param("memory://?page_size=0", id="page-size-zero"),
        pytest.param("memory://?colour=blue", id="unknown-option"),
    ],
)
def test_bad_memory_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        unicrm.connect(url)


def test_named_stores_are_shared_and_anonymous_ones_are_not() -> None:
    first = unicrm.connect("memory://shared-test-store")
    second = unicrm.connect("memory://shared-test-store")
    created = first.leads.create(unicrm.Lead(title="shared"))
    assert second.leads.get(created.id or "").title == "shared"
    with pytest.raises(unicrm.NotFound):
        unicrm.connect("memory://").leads.get(created.id or "")
