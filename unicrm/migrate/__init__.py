"""Migration between CRMs through the neutral model (vendor-neutral: no vendor names here).

>>> from unicrm.migrate import Ledger, MigrateOptions, migrate, verify  # doctest: +SKIP
>>> async with unicrm.connect_async(a) as src, unicrm.connect_async(b) as dst:  # doctest: +SKIP
...     report = await migrate(src, dst, ledger=Ledger("run.db"), source_label=a, target_label=b)
...     result = await verify(src, dst, ledger=Ledger("run.db"), source_label=a)

Modules: :mod:`~unicrm.migrate.tables` (the entity order, the default routes and the link
remaps: what keeps the engine entity-generic), :mod:`~unicrm.migrate.mapping` (the TOML mapping
file) with :mod:`~unicrm.migrate.routes` (its ``[routes]``), :mod:`~unicrm.migrate.automap`
(the default mapping), :mod:`~unicrm.migrate.users` (user matching),
:mod:`~unicrm.migrate.transform` (one record through the mapping) with
:mod:`~unicrm.migrate.links` and :mod:`~unicrm.migrate.compare`, :mod:`~unicrm.migrate.ledger`
(SQLite). The run: :mod:`~unicrm.migrate.engine` (the orchestrator) over the stages
:mod:`~unicrm.migrate.prepare` (with :mod:`~unicrm.migrate.pipelines`),
:mod:`~unicrm.migrate.plan` (the decisions, :mod:`~unicrm.migrate.decisions`),
:mod:`~unicrm.migrate.read`, :mod:`~unicrm.migrate.classify`, :mod:`~unicrm.migrate.write`,
:mod:`~unicrm.migrate.recover`; then :mod:`~unicrm.migrate.verify`,
:mod:`~unicrm.migrate.rollback`, :mod:`~unicrm.migrate.report`, and
:mod:`~unicrm.migrate.names` (names beside ids in ``--init-mapping`` files).
"""

from __future__ import annotations

from unicrm.migrate.automap import Schema, auto_mapping
from unicrm.migrate.decisions import Decision
from unicrm.migrate.engine import migrate
from unicrm.migrate.ledger import Ledger
from unicrm.migrate.mapping import (
    FieldRule,
    Mapping,
    MissingPolicy,
    dump_mapping,
    dumps,
    load_mapping,
    loads,
)
from unicrm.migrate.prepare import load_schema
from unicrm.migrate.report import Difference, EntityStats, MigrationReport, VerifyReport
from unicrm.migrate.rollback import RollbackReport, rollback
from unicrm.migrate.run import MigrateOptions, Progress
from unicrm.migrate.tables import LINKS, ORDER, ROUTES, Link, LinkShape, PipelinePolicy, Route
from unicrm.migrate.transform import MappingFailure, map_record
from unicrm.migrate.users import Person, UserMatch, match_users
from unicrm.migrate.verify import verify

__all__ = [
    "Decision",
    "Difference",
    "EntityStats",
    "FieldRule",
    "LINKS",
    "Ledger",
    "Link",
    "LinkShape",
    "Mapping",
    "MappingFailure",
    "MigrateOptions",
    "MigrationReport",
    "MissingPolicy",
    "ORDER",
    "Person",
    "PipelinePolicy",
    "Progress",
    "ROUTES",
    "RollbackReport",
    "Route",
    "Schema",
    "UserMatch",
    "VerifyReport",
    "auto_mapping",
    "dump_mapping",
    "dumps",
    "init_mapping",
    "init_mapping_text",
    "load_mapping",
    "load_schema",
    "loads",
    "map_record",
    "match_users",
    "migrate",
    "rollback",
    "verify",
]


async def init_mapping(source: object, target: object) -> Mapping:
    """The starting mapping for two connected CRMs (what ``--init-mapping`` writes)."""
    return (await init_mapping_text(source, target))[0]


async def init_mapping_text(source: object, target: object) -> tuple[Mapping, str]:
    """The starting mapping for two connected CRMs and its TOML with the stage and pipeline
    names beside the ids (what ``--init-mapping`` writes)."""
    from unicrm.crm import AsyncCRM
    from unicrm.migrate.names import annotated_dumps

    if not isinstance(source, AsyncCRM) or not isinstance(target, AsyncCRM):
        raise TypeError("init_mapping takes two AsyncCRM connections")
    source_schema, target_schema = await load_schema(source), await load_schema(target)
    mapping = auto_mapping(source_schema, target_schema)
    return mapping, annotated_dumps(mapping, source_schema, target_schema)
