"""unicrm: one neutral model and query language over many CRMs.

>>> import unicrm
>>> from unicrm import F, Lead
>>> crm = unicrm.connect("memory://")
>>> crm.leads.filter(F("amount") >= 1000).explain()  # doctest: +SKIP

Public names are listed in ``__all__`` (pinned by a test). Documented submodules for plugin
authors: :mod:`unicrm.adapter`, :mod:`unicrm.query`, :mod:`unicrm.model`, :mod:`unicrm.errors`,
:mod:`unicrm.plugins`, :mod:`unicrm.transport`, :mod:`unicrm.emulation`, :mod:`unicrm.testing`,
:mod:`unicrm.changes`.
"""

from __future__ import annotations

from unicrm.adapter import Capabilities, Pushdown
from unicrm.changes import AsyncChangeFeed, ChangeCursor, ChangeEvent, ChangeFeed, ChangeKind
from unicrm.connect import connect, connect_async, known_schemes
from unicrm.crm import CRM, AsyncCollection, AsyncCRM, AsyncQuery, Collection, Query
from unicrm.errors import (
    AuthError,
    ConfigurationError,
    FullScanError,
    NotFound,
    QueryError,
    RateLimited,
    TransportError,
    UnicrmError,
    UnsupportedOperation,
    ValidationError,
    VendorError,
)
from unicrm.model import (
    NOT_LOADED,
    Company,
    CompanyLink,
    Contact,
    ContactKind,
    ContactLink,
    CustomFieldDef,
    CustomFieldOption,
    CustomFieldType,
    Deal,
    Email,
    EntityKind,
    Lead,
    Money,
    NotLoaded,
    Phone,
    Pipeline,
    Stage,
    StageRef,
    StageSemantic,
    UserRef,
)
from unicrm.planner import FullScanWarning, Plan
from unicrm.query import F

__version__ = "0.1.0"

__all__ = [
    "CRM",
    "NOT_LOADED",
    "AsyncCRM",
    "AsyncChangeFeed",
    "AsyncCollection",
    "AsyncQuery",
    "AuthError",
    "Capabilities",
    "ChangeCursor",
    "ChangeEvent",
    "ChangeFeed",
    "ChangeKind",
    "Collection",
    "Company",
    "CompanyLink",
    "ConfigurationError",
    "Contact",
    "ContactKind",
    "ContactLink",
    "CustomFieldDef",
    "CustomFieldOption",
    "CustomFieldType",
    "Deal",
    "Email",
    "EntityKind",
    "F",
    "FullScanError",
    "FullScanWarning",
    "Lead",
    "Money",
    "NotFound",
    "NotLoaded",
    "Phone",
    "Pipeline",
    "Plan",
    "Pushdown",
    "Query",
    "QueryError",
    "RateLimited",
    "Stage",
    "StageRef",
    "StageSemantic",
    "TransportError",
    "UnicrmError",
    "UnsupportedOperation",
    "UserRef",
    "ValidationError",
    "VendorError",
    "__version__",
    "connect",
    "connect_async",
    "known_schemes",
]
