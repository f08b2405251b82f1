"""The OAuth 2.0 side of the emulated account (vendor notes §2).

``/oauth2/access_token`` takes the ``authorization_code`` and ``refresh_token`` grants as JSON
or form bodies. Access tokens are JWT-shaped (HS256 with the emulator's own key) carrying
``exp``, ``iat``, ``nbf``, ``aud``, ``sub``, ``account_id``, ``base_domain`` and ``api_domain``
and live 24 hours of the emulator's clock. Refresh tokens are single use: each refresh rotates
the pair and a reused one gets 401 with ``hint: "Token has been revoked"``. Authorization codes
live 20 minutes and are single use. Long-lived tokens are JWTs with a five-year ``exp``.

Written by hand rather than with a JWT library because only the token's *shape* matters here
(clients decode ``exp`` without verifying); the HMAC keeps forged tokens out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

from unicrm.emulation import EmulatorResponse
from unicrm_amocrm.emulator.account import ACCOUNT_ID, SUBDOMAIN
from unicrm_amocrm.emulator.store import Store

ACCESS_LIFETIME = 86_400
REFRESH_LIFETIME = 90 * 86_400
CODE_LIFETIME = 20 * 60
LONG_LIVED = 5 * 365 * 86_400
OAUTH_PROBLEM = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OAuth:
    """Issues and checks tokens; state (integrations, codes, refresh tokens) is in SQLite."""

    def __init__(self, store: Store, key: bytes) -> None:
        self.store = store
        self.key = key

    def jwt(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.key, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64(signature)}"

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this emulator signed, or None (expiry is not checked here)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        signature = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64(parts[2]), signature):
                return None
            claims: dict[str, Any] = json.loads(_unb64(parts[1]))
        except ValueError:
            return None
        return claims

    def access_token(self, client_id: str, now: float, lifetime: int = ACCESS_LIFETIME) -> str:
        return self.jwt(
            {
                "aud": client_id,
                "jti": uuid.uuid4().hex,
                "iat": int(now),
                "nbf": int(now),
                "exp": int(now) + lifetime,
                "sub": "5001",
                "grant_type": "",
                "account_id": ACCOUNT_ID,
                "base_domain": "amocrm.ru",
                "api_domain": "api-b.amocrm.ru",
                "version": 2,
                "scopes": ["crm", "files", "notifications"],
            }
        )

    def long_lived(self, now: float) -> str:
        return self.access_token("long-lived", now, LONG_LIVED)

    def register(self, redirect_uri: str, now: float) -> tuple[str, str, str]:
        client_id = str(uuid.uuid4())
        secret = secrets.token_urlsafe(32)
        self.store.db.execute(
            "INSERT INTO integrations VALUES (?, ?, ?)", (client_id, secret, redirect_uri)
        )
        return client_id, secret, self.new_code(client_id, now)

    def new_code(self, client_id: str, now: float) -> str:
        code = "def5" + secrets.token_hex(24)
        self._grant(code, "code", client_id, now + CODE_LIFETIME)
        return code

    def _grant(self, value: str, kind: str, client_id: str, expires: float) -> None:
        self.store.db.execute(
            "INSERT INTO grants (value, kind, client_id, expires) VALUES (?, ?, ?, ?)",
            (value, kind, client_id, expires),
        )

    def _pair(self, client_id: str, now: float) -> EmulatorResponse:
        refresh = "def5" + secrets.token_hex(32)
        self._grant(refresh, "refresh", client_id, now + REFRESH_LIFETIME)
        return EmulatorResponse.json(
            200,
            {
                "token_type": "Bearer",
                "expires_in": ACCESS_LIFETIME,
                "access_token": self.access_token(client_id, now),
                "refresh_token": refresh,
                "server_time": int(now),
            },
        )

    def token_endpoint(self, params: dict[str, Any], now: float) -> EmulatorResponse:
        """``POST /oauth2/access_token``."""
        client = self.store.db.execute(
            "SELECT * FROM integrations WHERE client_id = ?", (str(params.get("client_id")),)
        ).fetchone()
        if client is None or not hmac.compare_digest(
            str(params.get("client_secret", "")), client["secret"]
        ):
            return _refused(401, "Client authentication failed")
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            value, kind = str(params.get("code", "")), "code"
            if params.get("redirect_uri") not in (None, client["redirect_uri"]):
                return _refused(400, "Redirect URI does not match")
        elif grant_type == "refresh_token":
            value, kind = str(params.get("refresh_token", "")), "refresh"
        else:
            return _refused(400, "The authorization grant type is not supported")
        row = self.store.db.execute(
            "SELECT * FROM grants WHERE value = ? AND kind = ? AND client_id = ?",
            (value, kind, client["client_id"]),
        ).fetchone()
        if row is None or row["used"]:
            return _refused(401, "Token has been revoked" if row else "Token is invalid")
        if row["expires"] < now:
            return _refused(401, "Token has expired")
        self.store.db.execute("UPDATE grants SET used = 1 WHERE value = ?", (value,))
        return self._pair(client["client_id"], now)


def _refused(status: int, hint: str) -> EmulatorResponse:
    body = {
        "hint": hint,
        "title": "Некорректный запрос",
        "type": OAUTH_PROBLEM,
        "status": status,
        "detail": "В запросе отсутствует ряд параметров или параметры невалидны",  # noqa: RUF001
    }
    return EmulatorResponse.json(status, body, content_type="application/problem+json")


__all__ = ["OAuth", "SUBDOMAIN"]
