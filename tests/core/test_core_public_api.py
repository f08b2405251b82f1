"""The public API is pinned: adding a name is a deliberate change to this list."""

from __future__ import annotations

import unicrm
import unicrm.errors

PUBLIC = [
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

ERRORS = [
    "AccountBlocked",
    "AuthError",
    "ConfigurationError",
    "ConnectionFailed",
    "FullScanError",
    "InvalidResponse",
    "NotFound",
    "PermissionDenied",
    "QueryError",
    "RateLimited",
    "RequestInfo",
    "RequestTimeout",
    "ServerError",
    "TokenExpired",
    "TransportError",
    "UnicrmError",
    "UnsupportedOperation",
    "ValidationError",
    "VendorError",
]


def test_unicrm_all_is_pinned() -> None:
    assert unicrm.__all__ == PUBLIC


def test_errors_all_is_pinned() -> None:
    assert unicrm.errors.__all__ == ERRORS


def test_every_public_name_exists_and_errors_are_the_same_objects() -> None:
    for name in PUBLIC:
        assert hasattr(unicrm, name), name
    for name in ERRORS:
        assert hasattr(unicrm.errors, name), name
        if name in PUBLIC:
            assert getattr(unicrm, name) is getattr(unicrm.errors, name)


def test_subpackage_all_names_resolve() -> None:
    import unicrm.adapter
    import unicrm.changes
    import unicrm.emulation
    import unicrm.model
    import unicrm.plugins
    import unicrm.query
    import unicrm.testing
    import unicrm.transport

    for module in (
        unicrm.adapter,
        unicrm.changes,
        unicrm.emulation,
        unicrm.model,
        unicrm.plugins,
        unicrm.query,
        unicrm.testing,
        unicrm.transport,
    ):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_version_is_a_string() -> None:
    assert isinstance(unicrm.__version__, str) and unicrm.__version__.count(".") == 2
