"""Testing support for adapter authors: the compliance suite, strategies and a pytest plugin.

An adapter's tests pull the whole suite in with one import::

    from unicrm.testing import ComplianceSuite

    class TestMyAdapter(ComplianceSuite):
        def make_crm(self):
            return unicrm.connect("myvendor://...")
"""

from __future__ import annotations

from unicrm.testing.dataset import DatasetOptions, build_contacts, build_leads
from unicrm.testing.strategies import comparisons, default_fields, predicates, value_pool
from unicrm.testing.suite import SERVER_FIELDS, ComplianceSuite, LoadedData

__all__ = [
    "SERVER_FIELDS",
    "ComplianceSuite",
    "DatasetOptions",
    "LoadedData",
    "build_contacts",
    "build_leads",
    "comparisons",
    "default_fields",
    "predicates",
    "value_pool",
]
