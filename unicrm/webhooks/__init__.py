"""Receiving vendor webhooks as change events: ``pip install 'unicrm[webhooks]'``.

:func:`webhook_app` is a Starlette application (serve it with uvicorn or mount it in the
platform's own ASGI app) that verifies Bitrix24 event-handler calls (``application_token``)
and amoCRM webhooks (account id and subdomain) and hands the same
:class:`~unicrm.ChangeEvent` s the polling feed yields to a callback or queue. Webhooks carry
ids only: fetch the records in batches (``crm.leads.filter(F("id").in_(ids))``), and keep a
polling :meth:`crm.changes` running behind them, since neither vendor redelivers a call a
receiver missed (see docs/changes.md).
"""

from __future__ import annotations

from unicrm.webhooks.app import Sink, webhook_app
from unicrm.webhooks.payloads import AmoCRMHooks, Bitrix24Hooks, Rejected

__all__ = ["AmoCRMHooks", "Bitrix24Hooks", "Rejected", "Sink", "webhook_app"]
