"""Pipelines and their ordered stages, each with an open/won/lost semantic."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from unicrm.model.enums import StageSemantic
from unicrm.model.values import _semantic


@attrs.frozen
class Stage:
    """One stage of a pipeline. ``sort`` orders stages; ``semantic`` says what it means."""

    id: str = attrs.field(converter=str)
    name: str
    semantic: StageSemantic = attrs.field(default=StageSemantic.OPEN, converter=_semantic)
    sort: int = 0


def _stages(value: Iterable[Stage]) -> tuple[Stage, ...]:
    return tuple(sorted(value, key=lambda s: s.sort))


@attrs.frozen
class Pipeline:
    """A sales pipeline. Bitrix24 leads have one implicit pipeline; amoCRM has several."""

    id: str = attrs.field(converter=str)
    name: str
    stages: tuple[Stage, ...] = attrs.field(factory=tuple, converter=_stages)
    is_default: bool = False

    def stage(self, stage_id: str) -> Stage | None:
        """The stage with ``stage_id``, or None."""
        return next((s for s in self.stages if s.id == str(stage_id)), None)

    def by_semantic(self, semantic: StageSemantic | str) -> tuple[Stage, ...]:
        """The stages with a given semantic, in order."""
        wanted = StageSemantic(semantic)
        return tuple(s for s in self.stages if s.semantic is wanted)
