"""The portal's schema: standard fields of leads and contacts, user fields, reference lists.

Everything here is data. A field's vendor ``type`` decides how it is stored, filtered and
rendered (see :data:`KIND_BY_TYPE`); the order of the tables is the order of keys in answers.
"""

from __future__ import annotations

from typing import Any

import attrs

#: storage/filter kind by vendor type: int, float, str, date, fm (multifield), virtual
KIND_BY_TYPE: dict[str, str] = {
    "integer": "int",
    "user": "int",
    "employee": "int",
    "crm_company": "int",
    "crm_contact": "int",
    "crm_lead": "int",
    "enumeration": "int",
    "boolean": "int",
    "double": "float",
    "string": "str",
    "char": "str",
    "url": "str",
    "money": "str",
    "crm_status": "str",
    "crm_currency": "str",
    "date": "date",
    "datetime": "date",
    "crm_multifield": "fm",
}

#: Types on which LIKE operators are rewritten to equality (notes §4.3-A).
LIKE_AS_EQUAL_TYPES = frozenset({"crm_status", "crm_company", "crm_contact", "crm_lead"})

MULTIFIELDS = ("PHONE", "EMAIL", "WEB", "IM", "LINK")

#: VALUE_TYPE choices per multifield; the first one is the default for new entries.
VALUE_TYPES: dict[str, tuple[str, ...]] = {
    "PHONE": ("WORK", "MOBILE", "FAX", "HOME", "PAGER", "MAILING", "OTHER"),
    "EMAIL": ("WORK", "HOME", "MAILING", "OTHER"),
    "WEB": ("WORK", "HOME", "VK", "LIVEJOURNAL", "TWITTER", "OTHER"),
    "IM": (
        "OTHER",
        "TELEGRAM",
        "VK",
        "SKYPE",
        "VIBER",
        "BITRIX24",
        "OPENLINE",
        "IMOL",
        "ICQ",
        "MSN",
        "JABBER",
    ),
    "LINK": ("USER", "OTHER"),
}


@attrs.frozen
class Field:
    """One field as ``crm.*.fields`` describes it."""

    code: str
    type: str
    title: str
    read_only: bool = False
    required: bool = False
    multiple: bool = False
    status_type: str | None = None
    deprecated: bool = False
    virtual: bool = False  # accepted on write, never a column (CONTACT_IDS)

    @property
    def kind(self) -> str:
        return KIND_BY_TYPE.get(self.type, "str")


def _f(code: str, type_: str, title: str, **kw: Any) -> Field:
    return Field(code, type_, title, **kw)


_ADDRESS = [
    _f("ADDRESS", "string", "Address"),
    _f("ADDRESS_2", "string", "Address (line 2)"),
    _f("ADDRESS_CITY", "string", "City"),
    _f("ADDRESS_POSTAL_CODE", "string", "Zip"),
    _f("ADDRESS_REGION", "string", "Region"),
    _f("ADDRESS_PROVINCE", "string", "State / Province"),
    _f("ADDRESS_COUNTRY", "string", "Country"),
    _f("ADDRESS_COUNTRY_CODE", "string", "Country code"),
    _f("ADDRESS_LOC_ADDR_ID", "integer", "Location address ID"),
]
_UTM = [
    _f(f"UTM_{k}", "string", f"UTM {k.lower()}")
    for k in ("SOURCE", "MEDIUM", "CAMPAIGN", "CONTENT", "TERM")
]
_MULTI = [
    _f(code, "crm_multifield", title, multiple=True)
    for code, title in (
        ("PHONE", "Phone"),
        ("EMAIL", "E-mail"),
        ("WEB", "Website"),
        ("IM", "Messenger"),
        ("LINK", "Link"),
    )
]
_RO = {"read_only": True}

LEAD_FIELDS: tuple[Field, ...] = (
    _f("ID", "integer", "ID", **_RO),
    _f("TITLE", "string", "Lead name", required=True),
    _f("HONORIFIC", "crm_status", "Salutation", status_type="HONORIFIC"),
    _f("NAME", "string", "First name"),
    _f("SECOND_NAME", "string", "Second name"),
    _f("LAST_NAME", "string", "Last name"),
    _f("COMPANY_TITLE", "string", "Company name"),
    _f("COMPANY_ID", "crm_company", "Company"),
    _f("CONTACT_ID", "crm_contact", "Contact", deprecated=True),
    _f("CONTACT_IDS", "crm_contact", "Contacts", multiple=True, virtual=True),
    _f("IS_RETURN_CUSTOMER", "char", "Repeat lead", **_RO),
    _f("BIRTHDATE", "date", "Date of birth"),
    _f("SOURCE_ID", "crm_status", "Source", status_type="SOURCE"),
    _f("SOURCE_DESCRIPTION", "string", "Source information"),
    _f("STATUS_ID", "crm_status", "Stage", status_type="STATUS"),
    _f("STATUS_DESCRIPTION", "string", "Stage information"),
    _f("POST", "string", "Position"),
    _f("COMMENTS", "string", "Comment"),
    _f("CURRENCY_ID", "crm_currency", "Currency"),
    _f("OPPORTUNITY", "double", "Total"),
    _f("IS_MANUAL_OPPORTUNITY", "char", "Manual total"),
    _f("HAS_PHONE", "char", "Has phone", **_RO),
    _f("HAS_EMAIL", "char", "Has e-mail", **_RO),
    _f("HAS_IMOL", "char", "Has Open Channel", **_RO),
    _f("ASSIGNED_BY_ID", "user", "Responsible person"),
    _f("CREATED_BY_ID", "user", "Created by", **_RO),
    _f("MODIFY_BY_ID", "user", "Modified by", **_RO),
    _f("DATE_CREATE", "datetime", "Created on", **_RO),
    _f("DATE_MODIFY", "datetime", "Modified on", **_RO),
    _f("DATE_CLOSED", "datetime", "Completed on", **_RO),
    _f("STATUS_SEMANTIC_ID", "string", "Stage semantics", **_RO),
    _f("OPENED", "char", "Available to everyone"),
    _f("ORIGINATOR_ID", "string", "External source"),
    _f("ORIGIN_ID", "string", "Item ID in data source"),
    _f("MOVED_BY_ID", "user", "Moved by", **_RO),
    _f("MOVED_TIME", "datetime", "Moved on", **_RO),
    *_ADDRESS,
    *_UTM,
    _f("LAST_ACTIVITY_BY", "user", "Last activity by", **_RO),
    _f("LAST_ACTIVITY_TIME", "datetime", "Last activity", **_RO),
    *_MULTI,
)

CONTACT_FIELDS: tuple[Field, ...] = (
    _f("ID", "integer", "ID", **_RO),
    _f("HONORIFIC", "crm_status", "Salutation", status_type="HONORIFIC"),
    _f("NAME", "string", "First name"),
    _f("SECOND_NAME", "string", "Second name"),
    _f("LAST_NAME", "string", "Last name"),
    _f("PHOTO", "file", "Photo"),
    _f("BIRTHDATE", "date", "Date of birth"),
    _f("TYPE_ID", "crm_status", "Contact type", status_type="CONTACT_TYPE"),
    _f("SOURCE_ID", "crm_status", "Source", status_type="SOURCE"),
    _f("SOURCE_DESCRIPTION", "string", "Source information"),
    _f("POST", "string", "Position"),
    _f("COMMENTS", "string", "Comment"),
    _f("OPENED", "char", "Available to everyone"),
    _f("EXPORT", "char", "Included in export"),
    _f("HAS_PHONE", "char", "Has phone", **_RO),
    _f("HAS_EMAIL", "char", "Has e-mail", **_RO),
    _f("HAS_IMOL", "char", "Has Open Channel", **_RO),
    _f("ASSIGNED_BY_ID", "user", "Responsible person"),
    _f("CREATED_BY_ID", "user", "Created by", **_RO),
    _f("MODIFY_BY_ID", "user", "Modified by", **_RO),
    _f("DATE_CREATE", "datetime", "Created on", **_RO),
    _f("DATE_MODIFY", "datetime", "Modified on", **_RO),
    # the primary company; COMPANY_IDS (every bound company) replaces it (crm.contact.fields)
    _f("COMPANY_ID", "crm_company", "Company", deprecated=True),
    _f("COMPANY_IDS", "crm_company", "COMPANY_IDS", multiple=True, virtual=True),
    _f("LEAD_ID", "crm_lead", "Lead", **_RO),
    _f("ORIGINATOR_ID", "string", "External source"),
    _f("ORIGIN_ID", "string", "Item ID in data source"),
    _f("ORIGIN_VERSION", "string", "Original version"),
    *_ADDRESS,
    *_UTM,
    _f("LAST_ACTIVITY_BY", "user", "Last activity by", **_RO),
    _f("LAST_ACTIVITY_TIME", "datetime", "Last activity", **_RO),
    *_MULTI,
)

#: Fields only the ``params[IMPORT]=Y`` mode of contact writes may set.
IMPORT_FIELDS = frozenset({"DATE_CREATE", "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID"})


@attrs.frozen
class EnumItem:
    """One option of an ``enumeration`` user field (``LIST`` entries)."""

    id: int
    value: str
    sort: int = 500
    default: bool = False
    xml_id: str | None = None


@attrs.frozen
class UserField:
    """A ``UF_CRM_*`` definition: what reading, writing and filtering its values needs.

    The full definition (labels, settings, flags) lives in the store's ``user_field`` table;
    this is the typed view the record methods use.
    """

    id: int
    code: str
    user_type: str
    label_en: str
    label_ru: str
    multiple: bool = False
    mandatory: bool = False
    sort: int = 100
    options: tuple[EnumItem, ...] = ()

    @property
    def kind(self) -> str:
        return "json" if self.multiple else KIND_BY_TYPE.get(self.user_type, "str")

    @property
    def option_ids(self) -> frozenset[int]:
        return frozenset(o.id for o in self.options)

    def as_field(self) -> Field:
        return Field(self.code, self.user_type, self.code, multiple=self.multiple)


def _options(*pairs: tuple[int, str]) -> tuple[EnumItem, ...]:
    return tuple(EnumItem(oid, value, sort=(i + 1) * 10) for i, (oid, value) in enumerate(pairs))


#: ``USER_TYPE_ID`` values ``crm.*.userfield.add`` accepts (``crm.userfield.types``, notes §9).
USER_TYPES = frozenset(
    {
        "string",
        "integer",
        "double",
        "boolean",
        "enumeration",
        "datetime",
        "date",
        "money",
        "url",
        "address",
        "file",
        "employee",
        "crm_status",
        "iblock_section",
        "iblock_element",
        "crm",
    }
)

#: The user fields a fresh portal starts with (seeded into the store once, then editable).
LEAD_USER_FIELDS: tuple[UserField, ...] = (
    UserField(
        101,
        "UF_CRM_PRIORITY",
        "enumeration",
        "Priority",
        "Приоритет",
        options=_options((201, "Low"), (202, "Medium"), (203, "High")),
    ),
    UserField(102, "UF_CRM_BUDGET", "money", "Budget", "Бюджет"),
    UserField(103, "UF_CRM_SCORE", "integer", "Lead score", "Оценка лида"),
    UserField(104, "UF_CRM_VIP", "boolean", "VIP", "VIP"),
    UserField(105, "UF_CRM_NEXT_CALL", "datetime", "Next call", "Следующий звонок"),
    UserField(
        106,
        "UF_CRM_INTERESTS",
        "enumeration",
        "Interests",
        "Интересы",
        multiple=True,
        options=_options(
            (211, "Hardware"), (212, "Software"), (213, "Consulting"), (214, "Support")
        ),
    ),
    UserField(107, "UF_CRM_1594289616952", "string", "Referral code", "Реферальный код"),
    UserField(108, "UF_CRM_WEIGHT", "double", "Weight", "Вес"),  # noqa: RUF001
    UserField(109, "UF_CRM_DEADLINE", "date", "Deadline", "Крайний срок"),
)

CONTACT_USER_FIELDS: tuple[UserField, ...] = (
    UserField(
        151,
        "UF_CRM_LOYALTY",
        "enumeration",
        "Loyalty tier",
        "Уровень лояльности",
        options=_options((251, "Bronze"), (252, "Silver"), (253, "Gold")),
    ),
    UserField(152, "UF_CRM_NEWSLETTER", "boolean", "Newsletter", "Рассылка"),
    UserField(153, "UF_CRM_NICKNAME", "string", "Nickname", "Прозвище"),
    UserField(154, "UF_CRM_LAST_ORDER", "date", "Last order", "Последний заказ"),
)


@attrs.frozen
class Status:
    """One row of a ``crm.status`` dictionary; ``semantics`` is None (process), S or F.

    A portal's own entries (codes ``UC_*``) are not system ones: ``SYSTEM`` is ``N`` and their
    ``NAME_INIT`` (the name the product shipped) is empty (``crm.status.list`` sample).
    """

    entity_id: str
    status_id: str
    name: str
    sort: int
    semantics: str | None = None
    color: str = "#39A8EF"

    @property
    def system(self) -> bool:
        return not self.status_id.startswith("UC_")


STATUSES: tuple[Status, ...] = (
    Status("STATUS", "NEW", "Unprocessed", 10, None, "#39A8EF"),
    Status("STATUS", "IN_PROCESS", "In progress", 20, None, "#2FC6F6"),
    Status("STATUS", "PROCESSED", "Processed", 30, None, "#55D0E0"),
    Status("STATUS", "UC_QUALIFIED", "Qualified", 40, None, "#47E4C2"),
    Status("STATUS", "CONVERTED", "Good lead", 50, "S", "#7BD500"),
    Status("STATUS", "JUNK", "Junk lead", 60, "F", "#FF5752"),
    Status("STATUS", "UC_NO_BUDGET", "No budget", 70, "F", "#FF8F8C"),
    *(
        Status("SOURCE", code, name, (i + 1) * 10)
        for i, (code, name) in enumerate(
            (
                ("CALL", "Call"),
                ("EMAIL", "E-Mail"),
                ("WEB", "Website"),
                ("ADVERTISING", "Advertising"),
                ("PARTNER", "Existing client"),
                ("RECOMMENDATION", "By recommendation"),
                ("TRADE_SHOW", "Show/Exhibition"),
                ("WEBFORM", "CRM form"),
                ("CALLBACK", "Callback"),
                ("RC_GENERATOR", "Sales boost"),
                ("STORE", "Online Store"),
                ("OTHER", "Other"),
            )
        )
    ),
    *(
        Status("CONTACT_TYPE", code, name, (i + 1) * 10)
        for i, (code, name) in enumerate(
            (
                ("CLIENT", "Clients"),
                ("SUPPLIER", "Suppliers"),
                ("PARTNER", "Partners"),
                ("OTHER", "Other"),
            )
        )
    ),
    *(
        Status("HONORIFIC", code, name, (i + 1) * 10)
        for i, (code, name) in enumerate(
            (
                ("HNR_EN_1", "Mr."),
                ("HNR_EN_2", "Mrs."),
                ("HNR_EN_3", "Ms."),
                ("HNR_EN_4", "Dr."),
            )
        )
    ),
)

SEMANTICS_TEXT = {None: "process", "S": "success", "F": "failure"}

CURRENCIES = ("RUB", "USD", "EUR", "KZT", "BYN", "UAH")
DEFAULT_CURRENCY = "RUB"

USERS: tuple[tuple[int, str], ...] = (
    (1, "Admin"),
    (3, "Olga Smirnova"),
    (5, "John Carter"),
    (7, "Irina Volkova"),
    (9, "Mark Stevens"),
    (11, "Pavel Orlov"),
)

ENTITY_IDS = {"lead": "CRM_LEAD", "contact": "CRM_CONTACT"}

STANDARD_FIELDS: dict[str, tuple[Field, ...]] = {"lead": LEAD_FIELDS, "contact": CONTACT_FIELDS}
SEED_USER_FIELDS: dict[str, tuple[UserField, ...]] = {
    "lead": LEAD_USER_FIELDS,
    "contact": CONTACT_USER_FIELDS,
}
