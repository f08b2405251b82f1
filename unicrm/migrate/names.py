"""Names beside ids: what ``--init-mapping`` writes so a person can edit the mapping file.

A mapping file keys stages by id (``"C2:NEW"``, ``"40012"``), which nobody recognises. The
file ``--init-mapping`` writes carries, as a comment beside every stage line, the source and
target pipeline and stage names and how the stage was matched::

    [routes.lead.stages]
    "0/NEW" = "7001/40010"  # Leads / Unprocessed -> Sales / Unsorted (open stage 1 of 4, by order)

Comments are for the reader only: loading the file ignores them.
"""

from __future__ import annotations

import re
import sys

from unicrm.migrate.automap import Schema, match_stages, stage_key, target_pipeline
from unicrm.migrate.mapping import Mapping, dumps
from unicrm.migrate.tables import ORDER, PipelinePolicy, Route
from unicrm.model import EntityKind

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

_SECTION = re.compile(r"^\[routes\.([A-Za-z_]+)(\.stages)?\]$")


def stage_names(schema: Schema, entity: EntityKind) -> dict[str, str]:
    """``"pipeline/stage"`` -> ``"Pipeline name / Stage name"`` of ``entity`` in ``schema``."""
    return {
        stage_key(p.id, s.id): f"{p.name} / {s.name}"
        for p in schema.pipelines_of(entity)
        for s in p.stages
    }


def automatic_reasons(route: Route, source: Schema, target: Schema) -> dict[str, tuple[str, str]]:
    """Source ``"pipeline/stage"`` -> (the target ``"pipeline/stage"`` the automatic mapping
    picks, how it picked it), for the pipelines whose target pipeline exists."""
    found: dict[str, tuple[str, str]] = {}
    if route.pipelines is PipelinePolicy.NONE:
        return found
    for pipeline in source.pipelines_of(route.source_kind):
        into = target_pipeline(route, pipeline, target)
        if into is None:
            continue
        for stage_id, (stage, how) in match_stages(pipeline, into).items():
            found[stage_key(pipeline.id, stage_id)] = (stage_key(into.id, stage.id), how)
    return found


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _pair(line: str) -> tuple[str, str] | None:
    try:
        parsed = tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return None
    if len(parsed) != 1:
        return None
    ((key, value),) = parsed.items()
    return (str(key), value) if isinstance(value, str) else None


def annotated_dumps(mapping: Mapping, source: Schema, target: Schema) -> str:
    """The mapping as TOML, with the names of the stages and pipelines beside their ids."""
    known = {}
    for entity in ORDER:
        route = mapping.route(entity)
        known[str(entity)] = (
            stage_names(source, route.source_kind),
            stage_names(target, route.target_kind),
            automatic_reasons(route, source, target),
        )
    section: tuple[str, bool] | None = None
    out: list[str] = []
    for line in dumps(mapping).splitlines():
        comment = ""
        if line.startswith("["):
            match = _SECTION.match(line)
            section = (match.group(1), bool(match.group(2))) if match else None
        elif section is not None and section[0] in known and (pair := _pair(line)):
            mine, theirs, reasons = known[section[0]]
            key, value = pair
            if section[1]:
                comment = f"{mine.get(key, '?')} -> {theirs.get(value, '?')}"
                auto = reasons.get(key)
                if auto is not None and auto[0] == value:
                    comment += f" ({auto[1]})"
            elif key == "default_stage" and value:
                comment = theirs.get(value, "?")
        out.append(f"{line}  # {_one_line(comment)}" if comment else line)
    return "\n".join(out) + "\n"
