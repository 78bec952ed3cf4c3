"""A rich progress bar for ingest: bytes of the given inputs, the current source, running counts."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn


def input_bytes(paths: list[str]) -> int:
    total = 0
    for p in map(Path, paths):
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            for root, _, files in os.walk(p):
                total += sum((Path(root) / f).stat().st_size for f in files if not f.startswith("."))
    return total


class IngestProgress:
    """Advances by each plain file's size; archive members advance the count only."""

    def __init__(self, paths: list[str], enabled: bool, console: Console):
        self.enabled = enabled
        self.stored = 0
        if enabled:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                TimeRemainingColumn(), console=console, transient=True)
            self.task = self.bar.add_task("ingest", total=input_bytes(paths) or None)

    def __enter__(self) -> IngestProgress:
        if self.enabled:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.bar.stop()

    def update(self, rep, size: int) -> None:
        if not self.enabled:
            return
        self.stored += rep.stored
        name = rep.path if len(rep.path) < 50 else "…" + rep.path[-49:]
        advance = size if "!" not in rep.path else 0
        self.bar.update(self.task, advance=advance, description=f"{self.stored:,} stored · {name}")
