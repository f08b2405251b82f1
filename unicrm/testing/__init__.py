"""Testing support for adapter authors: the compliance suite, strategies and a pytest plugin.

Install with ``pip install 'unicrm[testing]'`` (pytest and hypothesis). An adapter's tests
pull the whole suite in with one import::

    from unicrm.testing import ComplianceSuite

    class TestMyAdapter(ComplianceSuite):
        def make_crm(self):
            return unicrm.connect("myvendor://...")

Nothing here runs unless imported: installing unicrm adds no pytest plugin to anyone's runs.
:mod:`unicrm.testing.pytest_plugin` is opt-in.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
except ImportError as missing:  # pragma: no cover - exercised in a fresh virtualenv
    raise ImportError(
        f"unicrm.testing (the compliance kit) needs {missing.name}: pip install 'unicrm[testing]'"
    ) from missing

from unicrm.testing.dataset import DatasetOptions, build_contacts, build_leads
from unicrm.testing.strategies import (
    comparisons,
    default_fields,
    operators_for,
    predicates,
    value_pool,
)
from unicrm.testing.suite import SERVER_FIELDS, ComplianceSuite, LoadedData
from unicrm.testing.targeted import negation_cases, value_list_cases

__all__ = [
    "SERVER_FIELDS",
    "ComplianceSuite",
    "DatasetOptions",
    "LoadedData",
    "build_contacts",
    "build_leads",
    "comparisons",
    "default_fields",
    "negation_cases",
    "operators_for",
    "predicates",
    "value_list_cases",
    "value_pool",
]
