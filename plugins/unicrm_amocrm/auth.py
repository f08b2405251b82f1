"""amoCRM authentication: long-lived tokens and OAuth 2 with single-use rotating refresh tokens.

Built on the core's token machinery (:mod:`unicrm.transport`): a ``TokenRefresher`` makes a
refresh single-flight within the process and, over a ``FileTokenStore``, safe across processes;
the new pair is saved through the store before it is used. This module adds only the vendor's
token endpoint (``POST /oauth2/access_token``, vendor notes §2.1) and the choice of mode from
the connection options. Tokens are :class:`~unicrm.transport.Secret` values from the moment they
are read, so they never show in reprs, logs or errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
import httpx

from unicrm.errors import AuthError, ConfigurationError, RequestTimeout
from unicrm.transport import (
    BearerAuth,
    MemoryTokenStore,
    Secret,
    TokenPair,
    TokenRefresher,
    TokenStore,
    decode_json,
    ensure_first_pair,
    receive,
    register_secret,
    request_info,
    translate_exception,
    within,
)

VENDOR = "amocrm"
TOKEN_ENV = "UNICRM_AMOCRM_TOKEN"
TOKEN_PATH = "/oauth2/access_token"
OAUTH_OPTIONS = ("client_id", "client_secret", "redirect_uri")
#: Overall bound of one token grant (a slow-dripping endpoint cannot hold a refresh, and the
#: store lock it holds, for longer).
GRANT_SECONDS = 30.0


def _secret(value: Any) -> Secret:
    secret = value if isinstance(value, Secret) else Secret(str(value))
    register_secret(secret.reveal())
    return secret


def pair_from_response(body: Any, now: float) -> TokenPair:
    """A token pair from the token endpoint's answer (``expires_in`` seconds from ``now``).

    Whatever the server sent, the outcome is a pair or an :class:`AuthError`.
    """
    fields = body if isinstance(body, Mapping) else {}
    access, refresh = fields.get("access_token"), fields.get("refresh_token")
    try:
        expires_in = float(fields.get("expires_in") or 86400)
    except (TypeError, ValueError):
        expires_in = float("nan")
    if (
        not isinstance(access, str)
        or not access
        or not isinstance(refresh, (str, type(None)))
        or not 0 < expires_in < 10 * 365 * 86400
    ):
        raise AuthError("amocrm token endpoint answered without a token", vendor=VENDOR)
    return TokenPair(
        access_token=_secret(access),
        refresh_token=_secret(refresh) if refresh else None,
        expires_at=now + expires_in,
    )


class OAuthApp:
    """An integration's credentials and the vendor's token endpoint for one account."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: Secret,
        redirect_uri: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.transport = transport

    async def _grant(self, grant: Mapping[str, str]) -> TokenPair:
        body = {
            "client_id": self.client_id,
            "client_secret": self.client_secret.reveal(),
            "redirect_uri": self.redirect_uri,
            **grant,
        }
        async with httpx.AsyncClient(
            base_url=self.base_url, transport=self.transport, timeout=GRANT_SECONDS
        ) as client:
            request = client.build_request("POST", TOKEN_PATH, json=body)
            try:
                response, raw = await within(GRANT_SECONDS, receive(client, request, vendor=VENDOR))
            except httpx.HTTPError as exc:
                raise translate_exception(exc, request_info(request), VENDOR) from None
            except asyncio.TimeoutError:
                raise RequestTimeout(
                    f"amocrm token endpoint gave no complete answer within {GRANT_SECONDS:g} s",
                    vendor=VENDOR,
                    request=request_info(request),
                ) from None
        if response.status_code != 200:
            raise AuthError(
                f"amocrm refused the {grant['grant_type']} grant",
                vendor=VENDOR,
                status=response.status_code,
            )
        answer = decode_json(raw, vendor=VENDOR, status=200, what="token answer")
        return pair_from_response(answer, time.time())

    async def exchange_code(self, code: str) -> TokenPair:
        """Trade an authorization code (single use, 20 minutes) for the first token pair."""
        return await self._grant({"grant_type": "authorization_code", "code": code})

    async def refresh(self, stale: TokenPair) -> TokenPair:
        """Rotate the pair: the old refresh token stops working on the vendor side."""
        if stale.refresh_token is None:
            raise AuthError("this amocrm token cannot be refreshed", vendor=VENDOR)
        return await self._grant(
            {"grant_type": "refresh_token", "refresh_token": stale.refresh_token.reveal()}
        )


async def _no_refresh(stale: TokenPair) -> TokenPair:
    raise AuthError(
        "the amocrm long-lived token was refused (expired or revoked); create a new one in "
        "the account's integration settings",
        vendor=VENDOR,
    )


@attrs.frozen
class AuthSetup:
    """The connection's auth: the httpx flow, a non-secret label, and a first-use step."""

    auth: httpx.Auth
    label: str
    startup: Callable[[], Awaitable[None]] | None = None


def _oauth(
    base_url: str, options: Mapping[str, Any], transport: httpx.AsyncBaseTransport | None
) -> AuthSetup:
    app = OAuthApp(
        base_url,
        str(options["client_id"]),
        _secret(options["client_secret"]),
        str(options["redirect_uri"]),
        transport,
    )
    store: TokenStore = options.get("token_store") or MemoryTokenStore()
    code = options.get("code")
    startup = None
    if code is not None:
        code_secret = _secret(code)

        async def exchange() -> None:
            await ensure_first_pair(store, lambda: app.exchange_code(code_secret.reveal()))

        startup = exchange
    elif store.load() is None:
        raise ConfigurationError(
            "amocrm OAuth needs code=... (an authorization code) or token_store=... holding a "
            "token pair"
        )
    return AuthSetup(
        BearerAuth(TokenRefresher(store, app.refresh)), f"oauth:{app.client_id}", startup
    )


def make_auth(
    base_url: str,
    options: Mapping[str, Any],
    transport: httpx.AsyncBaseTransport | None,
) -> AuthSetup:
    """The auth for the connection options.

    Modes: ``token=`` (or ``UNICRM_AMOCRM_TOKEN``) for a long-lived token; ``client_id``,
    ``client_secret``, ``redirect_uri`` plus ``token_store=`` (holding a pair) or ``code=``
    (exchanged on first use) for OAuth.
    """
    if all(options.get(k) for k in OAUTH_OPTIONS):
        return _oauth(base_url, options, transport)
    token = options.get("token") or os.environ.get(TOKEN_ENV)
    if not token:
        raise ConfigurationError(
            "amocrm needs token=... (or the UNICRM_AMOCRM_TOKEN environment variable) for a "
            "long-lived token, or client_id, client_secret, redirect_uri with code= or "
            "token_store= for OAuth"
        )
    secret = _secret(token)
    store = MemoryTokenStore()
    store.save(TokenPair(access_token=secret, refresh_token=None, expires_at=None))
    digest = hashlib.sha256(secret.reveal().encode()).hexdigest()[:12]
    return AuthSetup(BearerAuth(TokenRefresher(store, _no_refresh)), f"token:{digest}")


__all__ = ["TOKEN_ENV", "AuthSetup", "OAuthApp", "make_auth", "pair_from_response"]
