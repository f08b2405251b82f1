"""The rules amoCRM's documentation leaves open, one switch each.

Everything else the emulator does follows a sentence of the vendor docs (or of the official
PHP library) quoted by a conformance test (``tests/plugins/unicrm_amocrm/conformance``); where
the material we could read does not settle a behaviour, the emulator offers each reading as a
switch, with the documented-or-observed one as the default. ``docs/vendors/amocrm-conformance.md``
lists every switch with the material on both sides. The adapter must work under every value.
"""

from __future__ import annotations

import attrs
from attrs.validators import in_

MISSING_ID_STATUSES = (204, 404)
OVER_LIMIT = ("fallback", "clamp")
REPEATED_KEYS = ("or", "last")
DEFAULT_STAGES = ("first_regular", "unsorted")
RATE_LIMIT_BODIES = ("problem", "text")
BLOCK_BODIES = ("html", "empty")


@attrs.frozen
class OpenRules:
    """The open rules (defaults first in each tuple above).

    * ``missing_id_status``: ``GET /api/v4/{entity}/{id}`` of a missing id. The contacts page
      documents 204; a 2024 report (Krukov/amocrm_api#128) saw 404 for leads.
    * ``over_limit``: ``limit`` above the documented maximum of 250. ``"fallback"`` answers a
      page of 50 (observed in amocrm/amocrm-api-php#210), ``"clamp"`` a page of 250.
    * ``fields_page_cap``: custom field lists. The page says "up to 50 fields per request" and,
      in the same table, ``limit`` "maximum 250": by default a page holds at most 50 fields
      whatever ``limit`` asks; ``None`` honours ``limit`` up to 250.
    * ``repeated_filter_keys``: ``filter[k]=a&filter[k]=b``. Kommo's filter page gives it as the
      example of a multiple (OR) filter (``"or"``); a PHP ``parse_str`` keeps the last (``"last"``).
    * ``default_stage``: a lead created without ``status_id`` goes to "the first stage of the main
      pipeline": the first regular stage (``"first_regular"``) or Unsorted (``"unsorted"``).
    * ``rate_limit_body``: the body of a 429. Every method page says errors are
      ``application/problem+json`` (``"problem"``); the PHP library only recognises a 429 whose
      body is not JSON (``"text"``). ``retry_after`` adds a ``Retry-After`` header (seconds),
      which no page documents.
    * ``block_body``: the body of the 403 a blocked account gets: nginx's HTML page (observed in
      amocrm/amocrm-api-php#434, ``"html"``) or nothing at all (``"empty"``).
    * ``update_request_id``: whether a batch update's answer echoes each item's ``request_id``.
      The contacts page's example answer has none (``id``, ``name``, ``updated_at``, ``_links``);
      the vendor notes record one in the leads example, and the PHP library checks for it
      before using it (``array_key_exists('request_id', $entity)``).
    * ``textarea_limit``: text fields are capped at 256 characters through the API (observed);
      whether textarea fields are is not known (None: no cap).
    """

    missing_id_status: int = attrs.field(default=204, validator=in_(MISSING_ID_STATUSES))
    over_limit: str = attrs.field(default="fallback", validator=in_(OVER_LIMIT))
    fields_page_cap: int | None = 50
    repeated_filter_keys: str = attrs.field(default="or", validator=in_(REPEATED_KEYS))
    default_stage: str = attrs.field(default="first_regular", validator=in_(DEFAULT_STAGES))
    rate_limit_body: str = attrs.field(default="problem", validator=in_(RATE_LIMIT_BODIES))
    retry_after: int | None = None
    block_body: str = attrs.field(default="html", validator=in_(BLOCK_BODIES))
    update_request_id: bool = False
    textarea_limit: int | None = None


__all__ = ["OpenRules"]
