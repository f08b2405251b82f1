"""Reports of a migration run and of a verification, as data and as JSON-ready dicts."""

from __future__ import annotations

from typing import Any

import attrs

from unicrm.migrate.decisions import Decision


@attrs.define
class EntityStats:
    """What happened to one entity's records in a run."""

    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    recovered: int = 0  # found in the target by origin marker after a crash
    failed: int = 0
    retried_batches: int = 0
    seconds: float = 0.0

    @property
    def written(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["written"] = self.written
        data["rate"] = round(self.written / self.seconds, 1) if self.seconds else 0.0
        return data


@attrs.define
class MigrationReport:
    """The outcome of :func:`unicrm.migrate.migrate` (``--json`` prints :meth:`as_dict`)."""

    source: str
    target: str
    dry_run: bool = False
    since: str | None = None
    state: str = "running"  # complete | failed | interrupted | planned (dry run)
    seconds: float = 0.0
    entities: dict[str, EntityStats] = attrs.field(factory=dict)
    #: the plan: every decision the run makes (a dry run's are the same; see ``plan``)
    decisions: list[Decision] = attrs.field(factory=list)
    #: what the target's answers taught the run (fields it refused), after the plan
    learned: list[Decision] = attrs.field(factory=list)
    #: what the run created in the target besides records (fields, pipelines), in words
    created: list[str] = attrs.field(factory=list)
    #: source users with no match in the target (their records go to the default user)
    unmatched_users: list[str] = attrs.field(factory=list)
    #: per target entity, the standard fields the target cannot hold (declared and learned)
    target_lacks: dict[str, list[str]] = attrs.field(factory=dict)
    warnings: list[str] = attrs.field(factory=list)
    errors: list[str] = attrs.field(factory=list)
    preview: list[dict[str, Any]] = attrs.field(factory=list)
    plan: dict[str, Any] = attrs.field(factory=dict)

    def stats(self, entity: str) -> EntityStats:
        return self.entities.setdefault(entity, EntityStats())

    def warn(self, message: str, limit: int = 50) -> None:
        """Record a warning once (at most ``limit`` distinct ones are kept)."""
        if message not in self.warnings and len(self.warnings) < limit:
            self.warnings.append(message)

    def error(self, message: str, limit: int = 50) -> None:
        if len(self.errors) < limit:
            self.errors.append(message)

    @property
    def written(self) -> int:
        return sum(s.written for s in self.entities.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "dry_run": self.dry_run,
            "since": self.since,
            "state": self.state,
            "seconds": round(self.seconds, 3),
            "rate": round(self.written / self.seconds, 1) if self.seconds else 0.0,
            "entities": {k: v.as_dict() for k, v in self.entities.items()},
            "decisions": [d.as_dict() for d in self.decisions],
            "learned": [d.as_dict() for d in self.learned],
            "created": self.created,
            "target_lacks": self.target_lacks,
            "unmatched_users": self.unmatched_users,
            "plan": self.plan,
            "preview": self.preview,
            "warnings": self.warnings,
            "errors": self.errors,
        }


@attrs.frozen
class Difference:
    """One way the target differs from the mapped source."""

    entity: str
    kind: str  # missing | duplicate | field | link | unexpected
    source_id: str | None
    target_id: str | None
    field: str | None = None
    expected: Any = None
    found: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}


@attrs.define
class VerifyReport:
    """The outcome of :func:`unicrm.migrate.verify`; ``differences`` is the count that matters."""

    source: str
    target: str
    counts: dict[str, dict[str, int]] = attrs.field(factory=dict)
    details: list[Difference] = attrs.field(factory=list)
    by_kind: dict[str, int] = attrs.field(factory=dict)
    seconds: float = 0.0
    max_details: int = 200

    def add(self, difference: Difference) -> None:
        key = f"{difference.entity}.{difference.kind}"
        self.by_kind[key] = self.by_kind.get(key, 0) + 1
        if len(self.details) < self.max_details:
            self.details.append(difference)

    @property
    def differences(self) -> int:
        return sum(self.by_kind.values())

    @property
    def ok(self) -> bool:
        return self.differences == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "differences": self.differences,
            "ok": self.ok,
            "source": self.source,
            "target": self.target,
            "counts": self.counts,
            "by_kind": self.by_kind,
            "seconds": round(self.seconds, 3),
            "details": [d.as_dict() for d in self.details],
        }
