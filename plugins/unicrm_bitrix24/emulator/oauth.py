"""A stand-in for the Bitrix24 OAuth server (``/oauth/token/``) and the portal's token check.

Apps are registered with :meth:`OAuthServer.register_app`, which returns an authorisation code
as the user's consent redirect would. Codes live 30 seconds and are single use; access tokens
live an hour; every refresh returns a new refresh token and spends the old one. State lives in
the portal's SQLite file. Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from unicrm_bitrix24.emulator import errors
from unicrm_bitrix24.emulator.errors import B24Error
from unicrm_bitrix24.emulator.params import pick
from unicrm_bitrix24.emulator.store import Store

ACCESS_TTL = 3600
REFRESH_TTL = 180 * 86400
CODE_TTL = 30

_SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_app (
    CLIENT_ID TEXT PRIMARY KEY, SECRET TEXT NOT NULL, REDIRECT_URI TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_code (
    CODE TEXT PRIMARY KEY, CLIENT_ID TEXT NOT NULL, EXPIRES REAL NOT NULL, USED INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_token (
    ACCESS TEXT PRIMARY KEY, REFRESH TEXT UNIQUE NOT NULL, CLIENT_ID TEXT NOT NULL,
    USER_ID INTEGER NOT NULL, EXPIRES REAL NOT NULL, REFRESH_EXPIRES REAL NOT NULL,
    REFRESH_USED INTEGER NOT NULL);
"""


class OAuthError(B24Error):
    """An OAuth-server refusal (``invalid_grant``, ``invalid_client``...)."""


def _oauth_error(status: int, code: str, description: str) -> OAuthError:
    return OAuthError(status, code, description)


class OAuthServer:
    """Authorisation codes, token exchange and refresh, access-token checks."""

    def __init__(self, store: Store, user_id: int = 1) -> None:
        self.store = store
        self.user_id = user_id
        with store.lock:
            store.db.executescript(_SCHEMA)
        member = store.meta("member_id")
        if member is None:
            member = secrets.token_hex(16)
            store.set_meta("member_id", member)
        self.member_id = member

    def register_app(self, redirect_uri: str, now: float) -> tuple[str, str, str]:
        client_id = f"local.{secrets.token_hex(7)}.{secrets.randbelow(10**8):08d}"
        client_secret = secrets.token_urlsafe(36)
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO oauth_app VALUES (?, ?, ?)", (client_id, client_secret, redirect_uri)
            )
        return client_id, client_secret, self.issue_code(client_id, now)

    def issue_code(self, client_id: str, now: float) -> str:
        """A fresh authorisation code for an app, as after the user's consent."""
        code = secrets.token_hex(20)
        with self.store.transaction():
            self.store.db.execute(
                "INSERT INTO oauth_code VALUES (?, ?, ?, 0)", (code, client_id, now + CODE_TTL)
            )
        return code

    def _client(self, params: dict[str, Any]) -> str:
        client_id = str(pick(params, "client_id") or "")
        secret = str(pick(params, "client_secret") or "")
        row = self.store.query("SELECT SECRET FROM oauth_app WHERE CLIENT_ID=?", (client_id,))
        if not row or not hmac.compare_digest(str(row[0][0]), secret):
            raise _oauth_error(401, "invalid_client", "Invalid client credentials")
        return client_id

    def token(self, params: dict[str, Any], now: float, host: str) -> dict[str, Any]:
        """Answer ``/oauth/token/`` for either grant."""
        grant = str(pick(params, "grant_type") or "")
        if grant not in ("authorization_code", "refresh_token"):
            raise _oauth_error(400, "invalid_request", "Invalid grant_type")
        client_id = self._client(params)
        with self.store.transaction():
            if grant == "authorization_code":
                code = str(pick(params, "code") or "")
                rows = self.store.query(
                    "SELECT EXPIRES, USED FROM oauth_code WHERE CODE=? AND CLIENT_ID=?",
                    (code, client_id),
                )
                if not rows or rows[0]["USED"] or rows[0]["EXPIRES"] < now:
                    raise _oauth_error(400, "invalid_grant", "Invalid authorization code")
                self.store.db.execute("UPDATE oauth_code SET USED=1 WHERE CODE=?", (code,))
            else:
                refresh = str(pick(params, "refresh_token") or "")
                rows = self.store.query(
                    "SELECT REFRESH_EXPIRES, REFRESH_USED FROM oauth_token "
                    "WHERE REFRESH=? AND CLIENT_ID=?",
                    (refresh, client_id),
                )
                if not rows or rows[0]["REFRESH_USED"] or rows[0]["REFRESH_EXPIRES"] < now:
                    raise _oauth_error(400, "invalid_grant", "Invalid refresh token")
                self.store.db.execute(
                    "UPDATE oauth_token SET REFRESH_USED=1 WHERE REFRESH=?", (refresh,)
                )
            access, new_refresh = secrets.token_hex(32), secrets.token_hex(32)
            self.store.db.execute(
                "INSERT INTO oauth_token VALUES (?, ?, ?, ?, ?, ?, 0)",
                (access, new_refresh, client_id, self.user_id, now + ACCESS_TTL, now + REFRESH_TTL),
            )
        return {
            "access_token": access,
            "expires": int(now + ACCESS_TTL),
            "expires_in": ACCESS_TTL,
            "scope": "crm",
            "domain": "oauth.bitrix.info",
            "server_endpoint": "https://oauth.bitrix.info/rest/",
            "status": "L",
            "client_endpoint": f"http://{host}/rest/",
            "member_id": self.member_id,
            "user_id": self.user_id,
            "refresh_token": new_refresh,
        }

    def check(self, token: str, now: float) -> int:
        """The user behind an access token, or the portal's 401."""
        rows = self.store.query("SELECT USER_ID, EXPIRES FROM oauth_token WHERE ACCESS=?", (token,))
        if not rows:
            raise errors.platform("invalid_token")
        if rows[0]["EXPIRES"] <= now:
            raise errors.platform("expired_token")
        return int(rows[0]["USER_ID"])
