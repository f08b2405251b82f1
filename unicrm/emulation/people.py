"""The people every vendor sandbox seeds as its users (the CRM's employees, who own records).

Both sandboxes draw their users from this one table, so a migration between two seeded
sandboxes has something real to match: some users exist on both sides with the same e-mail,
one exists on both with the same full name but another e-mail, and each side has people the
other lacks (they must be reported as unmatched, never silently reassigned).
"""

from __future__ import annotations

import attrs


@attrs.frozen
class SeedUser:
    """One employee: names, work e-mail, whether the account is active, and where they exist."""

    first_name: str
    last_name: str
    email: str
    active: bool = True
    vendors: frozenset[str] = frozenset({"bitrix24", "amocrm"})

    @property
    def full_name(self) -> str:
        """First and last name, as both vendors show it."""
        return f"{self.first_name} {self.last_name}"


_BOTH = frozenset({"bitrix24", "amocrm"})
_B24 = frozenset({"bitrix24"})
_AMO = frozenset({"amocrm"})

#: In order: the first user of each vendor is its portal/account administrator.
SEED_USERS: tuple[SeedUser, ...] = (
    SeedUser("Anna", "Smirnova", "anna.smirnova@example.com", vendors=_BOTH),
    SeedUser("Boris", "Ivanov", "boris.ivanov@example.com", vendors=_BOTH),
    SeedUser("Clara", "Novak", "clara.novak@example.com", vendors=_BOTH),
    SeedUser("Dmitry", "Orlov", "d.orlov@example.com", vendors=_B24),
    # the same person on both sides under two e-mails: matched by full name
    SeedUser("Dmitry", "Orlov", "dmitry.orlov@example.org", vendors=_AMO),
    SeedUser("Elena", "Petrova", "elena.petrova@example.com", vendors=_B24),
    SeedUser("Fyodor", "Kuznetsov", "f.kuznetsov@example.com", active=False, vendors=_B24),
    SeedUser("Galina", "Sokolova", "galina.sokolova@example.com", vendors=_AMO),
)


def users_for(vendor: str) -> tuple[SeedUser, ...]:
    """The seed users of ``vendor`` (``"bitrix24"`` or ``"amocrm"``), administrator first."""
    return tuple(u for u in SEED_USERS if vendor in u.vendors)
