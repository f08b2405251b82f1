"""Bitrix24 authentication: incoming webhooks and OAuth 2 (vendor notes §1).

* **Webhook**: the secret code is part of the method URL (``/rest/<user>/<code>/``); nothing
  to refresh. The code is a :class:`~unicrm.transport.Secret` and is registered for redaction,
  so it never shows in reprs, plans, errors or logs.
* **OAuth**: the access token travels in the ``auth`` parameter of every call; when the portal
  answers 401 ``expired_token`` the pair is refreshed once (single-flight, through the core's
  :class:`~unicrm.transport.TokenRefresher`) at the OAuth server (default
  ``https://oauth.bitrix.info/oauth/token/``, configurable for the emulator), the rotated pair
  is saved to the token store before use, and the call is replayed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx

from unicrm.errors import AuthError, ConfigurationError, RequestTimeout
from unicrm.transport import (
    MemoryTokenStore,
    Secret,
    TokenPair,
    TokenRefresher,
    TokenStore,
    check_url_security,
    ensure_first_pair,
    json_problem,
    receive,
    register_secret,
    within,
)

VENDOR = "bitrix24"
OAUTH_URL = "https://oauth.bitrix.info/oauth/token/"
#: Overall bound of one token grant (a slow-dripping server cannot hold a refresh, and the
#: store lock it holds, for longer).
GRANT_SECONDS = 30.0


def secret(value: Any) -> Secret:
    """``value`` as a registered Secret."""
    found = value if isinstance(value, Secret) else Secret(str(value))
    register_secret(found.reveal())
    return found


def pair_from_response(body: Any, now: float) -> TokenPair:
    """A token pair from the OAuth server's answer."""
    if not isinstance(body, Mapping) or not body.get("access_token"):
        code = body.get("error") if isinstance(body, Mapping) else None
        raise AuthError(
            f"bitrix24 OAuth server gave no token ({code or 'no error code'})",
            vendor=VENDOR,
            code=str(code) if code else None,
        )
    refresh = body.get("refresh_token")
    try:
        expires_in = float(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        expires_in = 3600.0
    return TokenPair(
        access_token=secret(body["access_token"]),
        refresh_token=secret(refresh) if refresh else None,
        expires_at=now + expires_in,
        extra={"client_endpoint": str(body.get("client_endpoint") or "")},
    )


class OAuthApp:
    """The application's credentials and the OAuth server it talks to."""

    def __init__(
        self,
        client_id: str,
        client_secret: Secret,
        *,
        oauth_url: str = OAUTH_URL,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        check_url_security(oauth_url)
        self.client_id = client_id
        self.client_secret = client_secret
        self.oauth_url = oauth_url
        self.transport = transport
        self.calls = 0

    async def _grant(self, grant: Mapping[str, str]) -> TokenPair:
        params = {
            "client_id": self.client_id,
            "client_secret": self.client_secret.reveal(),
            **grant,
        }
        self.calls += 1
        async with httpx.AsyncClient(transport=self.transport, timeout=GRANT_SECONDS) as client:
            request = client.build_request("GET", self.oauth_url, params=params)
            try:
                response, raw = await within(GRANT_SECONDS, receive(client, request, vendor=VENDOR))
            except httpx.HTTPError as exc:
                raise AuthError(
                    f"bitrix24 OAuth server unreachable ({type(exc).__name__})", vendor=VENDOR
                ) from None
            except asyncio.TimeoutError:
                raise RequestTimeout(
                    f"bitrix24 OAuth server gave no complete answer within {GRANT_SECONDS:g} s",
                    vendor=VENDOR,
                ) from None
        body, _problem = json_problem(raw)
        if response.status_code != 200:
            code = body.get("error") if isinstance(body, Mapping) else None
            raise AuthError(
                f"bitrix24 OAuth server refused the {grant['grant_type']} grant "
                f"({code or response.status_code})",
                vendor=VENDOR,
                status=response.status_code,
                code=str(code) if code else None,
            )
        return pair_from_response(body, time.time())

    async def exchange_code(self, code: str) -> TokenPair:
        """Trade an authorization code (valid 30 s) for the first pair."""
        return await self._grant({"grant_type": "authorization_code", "code": code})

    async def refresh(self, stale: TokenPair) -> TokenPair:
        """Rotate the pair (the vendor issues a new refresh token every time)."""
        if stale.refresh_token is None:
            raise AuthError("this bitrix24 access token cannot be refreshed", vendor=VENDOR)
        return await self._grant(
            {"grant_type": "refresh_token", "refresh_token": stale.refresh_token.reveal()}
        )


class Credentials:
    """What the client adds to each call: nothing (webhook) or the ``auth`` token (OAuth)."""

    def __init__(
        self,
        refresher: TokenRefresher | None = None,
        app: OAuthApp | None = None,
        code: Secret | None = None,
    ) -> None:
        self.refresher = refresher
        self.app = app
        self._code = code

    @property
    def oauth(self) -> bool:
        return self.refresher is not None

    async def prepare(self) -> None:
        """First use: exchange the authorization code when the store is empty."""
        if self.refresher is None or self._code is None or self.app is None:
            return
        code, self._code, app = self._code, None, self.app
        await ensure_first_pair(self.refresher.store, lambda: app.exchange_code(code.reveal()))

    async def token(self) -> TokenPair | None:
        """The pair a call should carry in ``auth`` (None for a webhook)."""
        if self.refresher is None:
            return None
        return await self.refresher.current()

    async def refresh(self, stale: TokenPair | None) -> None:
        """Called by the retry loop on ``expired_token`` with the pair that was refused."""
        if self.refresher is None or stale is None:
            raise AuthError("the bitrix24 webhook was refused", vendor=VENDOR)
        await self.refresher.refresh(stale)

    def __repr__(self) -> str:
        return f"Credentials({'oauth' if self.oauth else 'webhook'}, ***)"


def make_credentials(
    options: Mapping[str, Any], transport: httpx.AsyncBaseTransport | None
) -> Credentials:
    """OAuth credentials from the connection options (webhooks need none).

    OAuth needs ``client_id`` and ``client_secret`` plus ``access_token`` (and usually
    ``refresh_token``), or ``code``, or a ``token_store`` holding a pair.
    """
    if not options.get("client_id") or not options.get("client_secret"):
        if any(options.get(k) for k in ("access_token", "refresh_token", "code")):
            raise ConfigurationError(
                "bitrix24 OAuth needs client_id= and client_secret= along with the tokens"
            )
        raise ConfigurationError(
            "a bitrix24 URL without a webhook path (/rest/<user>/<code>/) needs OAuth options: "
            "client_id, client_secret and access_token/refresh_token, code or token_store"
        )
    app = OAuthApp(
        str(options["client_id"]),
        secret(options["client_secret"]),
        oauth_url=str(options.get("oauth_url") or OAUTH_URL),
        transport=transport,
    )
    store: TokenStore = options.get("token_store") or MemoryTokenStore()
    given = options.get("access_token") or options.get("refresh_token")
    if given and store.load() is None:  # a store holding a (newer, rotated) pair wins
        store.save(
            TokenPair(
                access_token=secret(options.get("access_token") or "expired"),
                refresh_token=secret(options["refresh_token"])
                if options.get("refresh_token")
                else None,
                expires_at=None,
            )
        )
    code = secret(options["code"]) if options.get("code") else None
    if code is None and store.load() is None:
        raise ConfigurationError(
            "bitrix24 OAuth needs access_token=/refresh_token=, code= or a token_store= "
            "holding a token pair"
        )
    return Credentials(TokenRefresher(store, app.refresh), app, code)


__all__ = ["OAUTH_URL", "Credentials", "OAuthApp", "make_credentials", "pair_from_response"]
