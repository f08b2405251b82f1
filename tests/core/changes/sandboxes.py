"""Both vendor emulators served over real HTTP (uvicorn on 127.0.0.1) on a clock the test
moves, with a writer connection ("another client") and the vendor's way to delete."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

import unicrm
from unicrm.emulation import ManualClock, ServerThread

VENDORS = ("bitrix24", "amocrm")


class Sandbox:
    """One seeded emulator behind uvicorn; ``url``/``options`` connect to it."""

    def __init__(self, vendor: str, *, seed: int = 20, random_seed: int = 0) -> None:
        self.vendor = vendor
        self.clock = ManualClock(time.time())
        if vendor == "bitrix24":
            emulator_module = pytest.importorskip("unicrm_bitrix24.emulator")
            self.emulator: Any = emulator_module.Bitrix24Emulator(
                clock=self.clock, limits="off", random_seed=random_seed
            )
        else:
            emulator_module = pytest.importorskip("unicrm_amocrm.emulator")
            self.emulator = emulator_module.AmoCRMEmulator(
                clock=self.clock, limits="off", random_seed=random_seed
            )
        self.emulator.seed(seed)
        # the amoCRM seeder gives a closed lead updated_at = closed_at, up to 30 days after
        # its creation and so possibly after "now": start once every seeded write is past
        self.clock.advance(31 * 86_400)
        self.server = ServerThread(self.emulator, hang_seconds=0.5)

    def __enter__(self) -> Sandbox:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        host = self.server.base_url.split("://", 1)[1]
        if self.vendor == "bitrix24":
            return f"bitrix24+http://{host}{self.emulator.webhook_path.rstrip('/')}/"
        return f"amocrm+http://{host}"

    @property
    def options(self) -> dict[str, Any]:
        """Connection options: the token, and no client limiter (the server has none on)."""
        if self.vendor == "bitrix24":
            return {"limits": "off", "timeout": 2}
        return {"token": self.emulator.long_lived_token, "rate": 10_000, "timeout": 2}

    def connect(self) -> unicrm.CRM:
        return unicrm.connect(self.url, **self.options)

    def now(self) -> dt.datetime:
        """The emulator's clock as the feed reads it."""
        return dt.datetime.fromtimestamp(self.clock.now(), dt.timezone.utc)

    def delete(self, writer: unicrm.CRM, entity: str, record_id: str) -> None:
        """Delete a record as the vendor allows: Bitrix24 through the API; amoCRM has no API
        deletion (vendor notes §6.6), so as its web interface would, in the account store."""
        if self.vendor == "bitrix24":
            writer.collection(entity).delete(record_id)
            return
        kind = {"lead": "leads", "contact": "contacts", "company": "companies"}[entity]
        emulator = self.emulator
        with emulator._lock:
            db = emulator.store.db
            db.execute("DELETE FROM entities WHERE kind = ? AND id = ?", (kind, int(record_id)))
            db.execute(
                "DELETE FROM links "
                "WHERE (kind = ? AND entity_id = ?) OR (to_kind = ? AND to_id = ?)",
                (kind, int(record_id), kind, int(record_id)),
            )
            db.commit()
