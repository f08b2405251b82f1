"""Rich progress bars for the engine: one per entity, with count, rate and ETA.

Shown only when stdout is a terminal; otherwise :func:`progress_for` returns None and the
engine runs silently (the final report still prints).
"""

from __future__ import annotations

from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from unicrm.cli.output import console, is_tty


class RateColumn(TextColumn):
    """Records per second of a task."""

    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: object) -> object:  # type: ignore[override]
        from rich.text import Text

        speed = getattr(task, "speed", None)
        return Text(f"{speed:,.0f}/s" if speed else "-/s")


class Bars:
    """Implements :class:`unicrm.migrate.Progress` with rich."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Bars:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, entity: str, total: int | None) -> None:
        self._tasks[entity] = self._progress.add_task(f"{entity}s", total=total)

    def advance(self, entity: str, count: int) -> None:
        task = self._tasks.get(entity)
        if task is not None:
            self._progress.advance(task, count)
            found = self._progress.tasks[task]
            if found.total is not None and found.completed > found.total:
                self._progress.update(task, total=found.completed)

    def finish(self, entity: str) -> None:
        task = self._tasks.get(entity)
        if task is not None:
            found = self._progress.tasks[task]
            self._progress.update(task, total=found.completed)


def progress_for(quiet: bool = False) -> Bars | None:
    """Progress bars when on a terminal and not ``quiet``; else None."""
    if quiet or not is_tty():
        return None
    return Bars()
