"""The compliance suite every adapter's tests pull in (SQLAlchemy ``testing/suite`` style).

Subclass :class:`ComplianceSuite` in a test module and implement :meth:`make_crm`::

    from unicrm.testing import ComplianceSuite

    class TestMyVendor(ComplianceSuite):
        def make_crm(self):
            return unicrm.connect("myvendor+http://127.0.0.1:1", transport=...)

The tests cover CRUD, streaming and pagination (page boundaries included), round trips, error
behaviour, targeted cases for the commonest compiler bugs (value lists with several real ids,
the negation of every kind of comparison: :mod:`unicrm.testing.targeted`) and the differential
test: hypothesis-generated queries through the adapter return exactly the records for which the
reference evaluator holds. Tests are gated by the adapter's declared capabilities.
Override the class attributes (``dataset``, ``query_fields``, ``differential_examples``...) and
:meth:`comparable` to fit what the vendor stores.
"""

from __future__ import annotations

from unicrm.testing.base import SERVER_FIELDS, LoadedData
from unicrm.testing.basic import BasicCases
from unicrm.testing.queries import QueryCases


class ComplianceSuite(BasicCases, QueryCases):
    """Base class of an adapter's compliance tests; subclasses implement :meth:`make_crm`."""


__all__ = ["SERVER_FIELDS", "ComplianceSuite", "LoadedData"]
