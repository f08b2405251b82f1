"""The error hierarchy: shape as drawn in the docstring, context in str(), pickling."""

from __future__ import annotations

import pickle

import pytest

from unicrm import errors as E  # noqa: N812

TREE = {
    E.ConfigurationError: E.UnicrmError,
    E.QueryError: E.UnicrmError,
    E.FullScanError: E.QueryError,
    E.UnsupportedOperation: E.UnicrmError,
    E.TransportError: E.UnicrmError,
    E.RequestTimeout: E.TransportError,
    E.ConnectionFailed: E.TransportError,
    E.VendorError: E.UnicrmError,
    E.AuthError: E.VendorError,
    E.TokenExpired: E.AuthError,
    E.PermissionDenied: E.VendorError,
    E.AccountBlocked: E.PermissionDenied,
    E.NotFound: E.VendorError,
    E.RateLimited: E.VendorError,
    E.ValidationError: E.VendorError,
    E.ServerError: E.VendorError,
    E.InvalidResponse: E.VendorError,
}


@pytest.mark.parametrize("child, parent", list(TREE.items()))
def test_hierarchy(child: type, parent: type) -> None:
    assert child.__bases__ == (parent,)
    assert child.__name__ in E.__doc__  # type: ignore[operator]


def test_unicrm_error_is_an_exception() -> None:
    assert issubclass(E.UnicrmError, Exception)


def test_context_is_shown_in_str_and_repr() -> None:
    info = E.RequestInfo("GET", "https://x.example/api/v4/leads", "page=2")
    error = E.NotFound("no lead 5", vendor="amocrm", code="404", status=404, request=info)
    assert str(error) == (
        "no lead 5 [amocrm; HTTP 404; code '404'; GET https://x.example/api/v4/leads page=2]"
    )
    assert repr(error).startswith("NotFound(")
    assert str(E.QueryError("plain")) == "plain"


@pytest.mark.parametrize(
    "error",
    [
        E.RateLimited("slow down", vendor="bitrix24", status=503, retry_after=2.5),
        E.ValidationError("bad", details=[("title", "required")], status=400),
        E.ConnectionFailed("reset", maybe_applied=False, vendor="amocrm"),
        E.RequestTimeout("slow", request=E.RequestInfo("POST", "https://h/x")),
        E.FullScanError("scan", vendor="memory"),
    ],
)
def test_errors_pickle_with_their_state(error: E.UnicrmError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)


def test_specific_fields() -> None:
    assert E.RateLimited("x", retry_after=3).retry_after == 3
    assert E.ValidationError("x", details=[("a", "b")]).details == (("a", "b"),)
    assert E.TransportError("x").maybe_applied is True
