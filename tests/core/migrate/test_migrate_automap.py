"""The automatic mapping: pipelines by route policy, stages by name and order per semantic."""

from __future__ import annotations

from unicrm import EntityKind, Pipeline, Stage
from unicrm.migrate import Schema, auto_mapping
from unicrm.migrate.automap import match_stages

LEAD = EntityKind.LEAD


def _pipeline(pid: str, name: str, stages: list[tuple[str, str, str]], default: bool) -> Pipeline:
    return Pipeline(
        pid,
        name,
        [Stage(sid, sname, semantic, i) for i, (sid, sname, semantic) in enumerate(stages)],
        is_default=default,
    )


def _schema(*pipelines: Pipeline) -> Schema:
    return Schema(pipelines={LEAD: pipelines}, fields={})


SOURCE = _pipeline(
    "p",
    "Main",
    [
        ("a", "Fresh", "open"),
        ("b", "Talks", "open"),
        ("c", "Offer", "open"),
        ("d", "Signing", "open"),
        ("w", "Yay", "won"),
        ("l1", "Nay", "lost"),
        ("l2", "No budget", "lost"),
    ],
    default=True,
)
TARGET = _pipeline(
    "9",
    "Other",
    [
        ("1", "Incoming", "open"),
        ("2", "talks", "open"),
        ("3", "Proposal", "open"),
        ("142", "Won", "won"),
        ("143", "Lost", "lost"),
    ],
    default=True,
)


def test_open_stages_keep_their_order_instead_of_collapsing_into_the_default() -> None:
    route = auto_mapping(_schema(SOURCE), _schema(TARGET)).route(LEAD)
    assert dict(route.stages) == {
        "p/a": "9/1",  # open stage 1 of 4 -> open stage 1
        "p/b": "9/2",  # same name (case-folded)
        "p/c": "9/3",  # open stage 3 of 4 -> open stage 3
        "p/d": "9/3",  # open stage 4 of 4 -> the last open stage (the target has 3)
        "p/w": "9/142",
        "p/l1": "9/143",
        "p/l2": "9/143",
    }
    assert route.default_stage == "9/1"


def test_match_stages_says_how_each_stage_was_matched() -> None:
    how = {sid: reason for sid, (_stage, reason) in match_stages(SOURCE, TARGET).items()}
    assert how["b"] == "same name"
    assert how["d"] == "open stage 4 of 4, by order"
    assert how["l2"] == "lost stage 2 of 2, by order"


def test_pipelines_are_matched_by_name_before_the_default() -> None:
    partners = _pipeline("p2", "Partners", [("x", "Talks", "open"), ("y", "Won", "won")], False)
    theirs = _pipeline("8", "partners", [("5", "Intro", "open"), ("6", "Won", "won")], False)
    route = auto_mapping(_schema(SOURCE, partners), _schema(TARGET, theirs)).route(LEAD)
    assert route.stages["p2/x"] == "8/5" and route.stages["p2/y"] == "8/6"
    assert route.stages["p/a"] == "9/1"  # Main has no namesake: the default pipeline
