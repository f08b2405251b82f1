"""Users: matched by e-mail, then by full name, overrides first, the rest to a default user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pytest

import unicrm
from unicrm import Contact, EntityKind, Lead
from unicrm.adapter import WriteResult
from unicrm.errors import ValidationError
from unicrm.migrate import Ledger, MigrateOptions, migrate, verify
from unicrm.migrate.users import DEFAULT, KEPT, OVERRIDE, Person, match_users, users_map
from unicrm.model import Record
from unicrm_memory.adapter import MemoryAdapter

pytestmark = pytest.mark.anyio

ANNA = Person("1", "Anna Smirnova", "Anna@Example.com")
BORIS = Person("2", "Boris Petrov", "boris@old.example")
CARL = Person("3", "Carl Nobody", "carl@old.example")
THEIRS = [
    Person("501", "A. Smirnova", " anna@example.COM "),
    Person("502", "petrov  boris", "boris@new.example"),
    Person("503", "Someone Else", "else@new.example"),
]


def _how(matches: Any) -> dict[str, tuple[str | None, str]]:
    return {m.source.id: (m.target.id if m.target else None, m.how) for m in matches}


def test_email_first_then_full_name_in_any_order_then_the_default() -> None:
    matches = match_users([ANNA, BORIS, CARL], THEIRS, {}, default="503")
    assert _how(matches) == {
        "1": ("501", "same e-mail"),
        "2": ("502", "same full name"),
        "3": ("503", DEFAULT),
    }
    assert users_map(matches) == {"1": "501", "2": "502", "3": "503"}


def test_overrides_win_and_without_a_default_the_id_is_kept() -> None:
    matches = match_users([ANNA, CARL], THEIRS, {"1": "503"})
    assert _how(matches) == {"1": ("503", OVERRIDE), "3": (None, KEPT)}
    assert users_map(matches) == {"1": "503"}


def test_shared_keys_and_inactive_users_are_not_guessed() -> None:
    twins = [Person("7", "Boris Petrov", "x@a"), Person("8", "Boris Petrov", "y@a")]
    retired = [Person("9", "Anna Smirnova", "anna@example.com", active=False)]
    matches = match_users([ANNA, BORIS], [*twins, *retired], {}, default="7")
    assert _how(matches) == {"1": ("7", DEFAULT), "2": ("7", DEFAULT)}


@attrs.frozen
class UserRecord:
    """What the neutral ``User`` will carry (id, name, e-mail, active)."""

    id: str
    name: str
    email: str
    active: bool = True


class Users:
    """A read-only ``crm.users`` collection, as the adapters will expose it."""

    def __init__(self, people: Sequence[Person], me: str) -> None:
        self.records = [UserRecord(p.id, p.name, p.email, p.active) for p in people]
        self.me_id = me

    def all(self) -> Users:
        return self

    async def to_list(self) -> list[UserRecord]:
        return list(self.records)

    async def me(self) -> UserRecord:
        return next(u for u in self.records if u.id == self.me_id)


class KnownUsersOnly(MemoryAdapter):
    """Refuses a record whose responsible user it does not know (as amoCRM does)."""

    known: set[str]
    refused: int = 0

    async def create_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for index, record in enumerate(records):
            owner = getattr(record, "responsible_id", None)
            if owner and owner not in self.known:
                self.refused += 1
                results.append(
                    ValidationError(
                        "unknown user", details=[(f"{index}:responsible_user_id", "no such user")]
                    )
                )
            else:
                results.extend(await super().create_many(entity, [record]))
        return results


def _crm(name: str, people: Sequence[Person], me: str, adapter: type[MemoryAdapter]) -> Any:
    plain = MemoryAdapter.from_url(f"memory://{name}", {})
    inner = adapter(plain.store, plain.capabilities, plain.describe())
    if isinstance(inner, KnownUsersOnly):
        inner.known = {p.id for p in people}
    crm = unicrm.AsyncCRM(inner)
    crm.users = Users(people, me)  # type: ignore[attr-defined]
    return crm


async def test_records_keep_their_owners_and_no_batch_is_refused_to_find_out(
    store_names: tuple[str, str], ledger_at: Any
) -> None:
    src = _crm(store_names[0], [ANNA, BORIS, CARL], "1", MemoryAdapter)
    dst = _crm(store_names[1], THEIRS, "503", KnownUsersOnly)
    for i in range(9):
        owner = ("1", "2", "3")[i % 3]
        await src.contacts.create(Contact(first_name=f"C{i}", responsible_id=owner))
        await src.leads.create(Lead(title=f"L{i}", responsible_id=owner))
    dry = await migrate(
        src,
        dst,
        ledger=None,
        options=MigrateOptions(dry_run=True),
        source_label="s",
        target_label="t",
    )
    with Ledger(ledger_at("run")) as ledger:
        report = await migrate(src, dst, ledger=ledger, source_label="s", target_label="t")
        assert report.state == "complete", report.errors
        assert (await verify(src, dst, ledger=ledger, source_label="s")).differences == 0
    assert dst.adapter.refused == 0 and report.learned == []
    assert dry.decisions == report.decisions
    users = [d.sentence() for d in report.decisions if d.topic == "user"]
    assert users == [
        "user Anna Smirnova <Anna@Example.com> (1): A. Smirnova <anna@example.COM> (501) "
        "(same e-mail)",
        "user Boris Petrov <boris@old.example> (2): petrov boris <boris@new.example> (502) "
        "(same full name)",
        # no [users] default: the token's user
        "user Carl Nobody <carl@old.example> (3): Someone Else <else@new.example> (503) "
        f"({DEFAULT})",
    ]
    assert report.unmatched_users == ["Carl Nobody <carl@old.example> (3)"]
    owners = {lead.title: lead.responsible_id for lead in await dst.leads.all().to_list()}
    assert owners["L0"] == "501" and owners["L1"] == "502" and owners["L2"] == "503"
