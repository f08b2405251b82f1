"""The amoCRM wire mapping: API v4 lead/contact JSON <-> neutral :class:`Lead`/:class:`Contact`.

Built on the core converter (:func:`unicrm.model.make_converter`); :func:`configure_converter`
registers the hooks and :func:`make_converter` returns a converter for one account snapshot
(:class:`~unicrm_amocrm.schema.AccountSchema`), because custom fields are typed by the account's
own definitions. The rules, every one of them:

Both entities
  * ``id`` <-> ``id`` (int on the wire, opaque str in the model); ``vendor`` is ``"amocrm"``.
  * ``responsible_id`` <-> ``responsible_user_id``.
  * ``created_at``/``updated_at`` (and ``closed_at`` on leads) <-> Unix seconds, read as UTC;
    ``created_at`` is sent on create only; the others are server-maintained.
  * ``tags`` <-> ``_embedded.tags[].name``; an update sends the whole list (replace semantics,
    ``[]`` clears).
  * ``company_id`` <-> ``_embedded.companies[0].id`` (read; links are written by the adapter).
  * ``origin`` <-> the managed text field with code ``UNICRM_ORIGIN`` (created on first use).
  * Fields mapped by code, when the account has them: contacts ``post`` <-> ``POSITION``,
    leads ``utm_*`` <-> ``UTM_SOURCE``/``UTM_MEDIUM``/``UTM_CAMPAIGN``/``UTM_CONTENT``/``UTM_TERM``.
  * Every other custom field with a known type -> ``custom[<code or id>]``, typed by its
    definition (:mod:`unicrm_amocrm.custom_values`); values of other types are kept raw in
    ``extra["custom_fields_values"]`` and are never sent back (PATCH leaves them untouched).
  * ``custom_fields_values`` is ``null`` on the wire when empty; an update clears a mapped
    field the record no longer has with ``"values": null`` (vendor notes §5.7, gotcha 9).
  * Every other vendor key (``group_id``, ``created_by``, ``loss_reason_id``, ``score``, ...)
    is kept under its own name in ``extra``; unknown ``_embedded`` members as
    ``extra["_embedded.<name>"]``. Of these only ``loss_reason_id`` is written back.
  * Model fields amoCRM has no place for raise :class:`~unicrm.errors.ValidationError` on write
    (nothing is dropped silently).

Leads
  * ``title`` <-> ``name`` (``""`` reads as None).
  * ``amount`` <-> ``price`` in the account currency; price 0 or null reads as no amount and
    no amount is written as 0; a fractional amount or another currency is a ValidationError.
  * ``stage`` <-> ``pipeline_id`` + ``status_id``; semantic WON for 142, LOST for 143, OPEN
    otherwise; a StageRef whose semantic contradicts its status id is a ValidationError.
  * ``source`` <-> ``source_id`` (digits).
  * ``contacts`` <-> ``_embedded.contacts[]`` ``{id, is_main}`` (lists carry them with
    ``with=contacts``); sent on create, diffed into link/unlink calls on update.

Contacts
  * ``first_name``/``last_name`` <-> ``first_name``/``last_name``; ``name`` is written as the
    full name (first, middle, last); a middle name is read back as what ``name`` holds between
    the first and the last name; a ``name`` that is not built from the parts is kept in
    ``extra["name"]``.
  * ``phones``/``emails`` <-> the multitext ``PHONE``/``EMAIL`` fields; kinds by enum code:
    PHONE ``WORK``/``WORKDD`` -> work, ``MOB`` -> mobile, ``HOME`` -> home, ``FAX`` -> fax,
    ``OTHER`` -> other; EMAIL ``WORK`` -> work, ``PRIV`` -> private, ``OTHER`` -> other.
    Written with the first code of each kind; kinds without a code are a ValidationError.
"""

from __future__ import annotations

from collections.abc import Mapping

import cattrs

from unicrm.model import Contact, Lead
from unicrm.model import make_converter as make_core_converter
from unicrm_amocrm.records import (
    contact_from_wire,
    contact_to_wire,
    lead_from_wire,
    lead_to_wire,
)
from unicrm_amocrm.schema import AccountSchema


def configure_converter(converter: cattrs.Converter, schema: AccountSchema) -> None:
    """Register the amoCRM hooks (the rules in this module's docstring) on ``converter``."""
    converter.register_structure_hook(Lead, lambda raw, _t: lead_from_wire(raw, schema))
    converter.register_structure_hook(Contact, lambda raw, _t: contact_from_wire(raw, schema))
    converter.register_unstructure_hook(Lead, lambda lead: lead_to_wire(lead, schema))
    converter.register_unstructure_hook(Contact, lambda contact: contact_to_wire(contact, schema))


def make_converter(schema: AccountSchema | None = None) -> cattrs.Converter:
    """A converter for one account: ``structure(json, Lead)`` / ``unstructure(lead)``."""
    converter = make_core_converter()
    configure_converter(converter, schema or AccountSchema())
    return converter


def structure_page(
    converter: cattrs.Converter, record_type: type[Lead] | type[Contact], raw: Mapping[str, object]
) -> Lead | Contact:
    """One list item as a record (a typed helper for the adapter)."""
    record: Lead | Contact = converter.structure(raw, record_type)
    return record


__all__ = ["configure_converter", "make_converter", "structure_page"]
