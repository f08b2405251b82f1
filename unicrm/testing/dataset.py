"""A deterministic, adversarial data set for the differential tests.

Written once per test class, queried hundreds of times. Values are chosen to stress the
semantics the evaluator defines: case variants, unicode, empty strings and nulls, amounts on
boundaries, the same instant in several time zones, multi-valued fields, custom values.
Adapters narrow it through :class:`DatasetOptions` to what their vendor can store.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

import attrs

from unicrm.model import (
    Contact,
    ContactKind,
    ContactLink,
    Email,
    Lead,
    Money,
    Phone,
    Pipeline,
    StageRef,
)

TITLES = ("Lead", "lead", "LEAD 2", "Lead 20", "Лид", "лид Ёж", "Zed", "a_b%c", "", "!neg", ">gt")
NAMES = ("Ivan", "ivan", "IVAN", "Anna", "Ann", "Élodie", "Пётр", "O'Neil", "")
SOURCES = ("web", "WEB", "call", "email", "partner")
TAGS = ("vip", "VIP", "new", "b2b", "опт")
ZONES = (
    dt.timezone.utc,
    dt.timezone(dt.timedelta(hours=3)),
    dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
)


@attrs.frozen
class DatasetOptions:
    """What the vendor can store; the data set only uses what is allowed here."""

    n_leads: int = 60
    n_contacts: int = 30
    seed: int = 1
    currencies: tuple[str, ...] = ("USD", "RUB")
    integer_amounts: bool = False
    lead_phones: bool = True
    lead_person_fields: bool = True
    tags: bool = True
    sources: bool = True
    link_contacts: bool = True
    null_title: bool = True
    empty_strings: bool = True


def _text(rng: random.Random, pool: Sequence[str], opts: DatasetOptions) -> str | None:
    choices = [t for t in pool if t or opts.empty_strings]
    value = rng.choice(choices)
    return value if rng.random() > 0.15 else None


def _amount(rng: random.Random, opts: DatasetOptions) -> Money | None:
    if rng.random() < 0.15:
        return None
    raw = rng.choice([0, 1, 999, 1000, 1001, 15000, 15000.5, 250000, 99.99])
    if opts.integer_amounts:
        raw = int(raw)
    return Money(Decimal(str(raw)), rng.choice(opts.currencies))


def _phones(rng: random.Random) -> list[Phone]:
    return [
        Phone(
            f"+7 999 {rng.randint(100, 105)}-{rng.randint(10, 12)}",
            rng.choice(list(ContactKind)[:3]),
        )
        for _ in range(rng.choice([0, 0, 1, 2]))
    ]


def _emails(rng: random.Random) -> list[Email]:
    return [
        Email(f"{rng.choice(['ivan', 'anna', 'Info'])}@{rng.choice(['ex.com', 'EX.com'])}")
        for _ in range(rng.choice([0, 1, 2]))
    ]


def build_contacts(opts: DatasetOptions) -> list[Contact]:
    """The contacts of the data set (without ids)."""
    rng = random.Random(opts.seed)
    contacts = []
    for _ in range(opts.n_contacts):
        contacts.append(
            Contact(
                first_name=_text(rng, NAMES, opts),
                last_name=_text(rng, ("Petrov", "petrov", "Smith", "Иванов", ""), opts),
                post=_text(rng, ("CEO", "ceo", "Manager"), opts),
                phones=_phones(rng),
                emails=_emails(rng),
                tags=rng.sample(TAGS, rng.randint(0, 2)) if opts.tags else (),
            )
        )
    return contacts


def build_leads(
    opts: DatasetOptions, pipelines: Sequence[Pipeline], contact_ids: Sequence[str]
) -> list[Lead]:
    """The leads of the data set (without ids), linked to ``contact_ids`` when allowed."""
    rng = random.Random(opts.seed + 1)
    stages = [StageRef(p.id, s.id, s.semantic) for p in pipelines for s in p.stages]
    leads = []
    for _ in range(opts.n_leads):
        title = (
            _text(rng, TITLES, opts) if opts.null_title else rng.choice([t for t in TITLES if t])
        )
        links: list[ContactLink] = []
        if opts.link_contacts and contact_ids and rng.random() < 0.5:
            chosen = rng.sample(list(contact_ids), rng.randint(1, min(2, len(contact_ids))))
            links = [ContactLink(c, is_main=i == 0) for i, c in enumerate(chosen)]
        leads.append(
            Lead(
                title=title,
                amount=_amount(rng, opts),
                stage=rng.choice(stages) if stages else None,
                source=_text(rng, SOURCES, opts) if opts.sources else None,
                first_name=_text(rng, NAMES, opts) if opts.lead_person_fields else None,
                last_name=_text(rng, ("Petrov", "Smith"), opts)
                if opts.lead_person_fields
                else None,
                phones=_phones(rng) if opts.lead_phones else (),
                emails=_emails(rng) if opts.lead_phones else (),
                tags=rng.sample(TAGS, rng.randint(0, 2)) if opts.tags else (),
                contacts=links,
            )
        )
    return leads
