"""The order in which a parallel build reads pages, so that its readers finish together.

Sphinx splits the pages to read, in order, into consecutive chunks of equal
length and gives one chunk to each reading process. A page's time is
mostly the time its examples take, and a few pages (the ones that train a
network or draw many plots) take most of it: in alphabetical order they
can land in the same chunk, and one process works alone while the others
wait. Each build records how long every page took, in the doctree folder;
the next one orders its pages so that the chunks come out balanced. The
order changes only when pages are read, never what a page shows.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["balance", "load_seconds", "save_seconds"]

RECORD = "autograd-page-seconds.json"
"""The file, in the doctree folder, that keeps each page's last run time."""


def load_seconds(doctreedir: Path) -> dict[str, float]:
    """The recorded seconds of each page; empty if there is no usable record.

    A damaged record, or one entry that is not a time, is not an error: the
    build only orders its pages less well.
    """
    try:
        record = json.loads((doctreedir / RECORD).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict):
        return {}
    return {
        page: float(seconds)
        for page, seconds in record.items()
        if isinstance(seconds, int | float) and math.isfinite(seconds) and seconds >= 0
    }


def save_seconds(doctreedir: Path, seconds: Mapping[str, float]) -> None:
    """Record ``seconds`` over the previous record (pages not run keep their time).

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_seconds(Path(folder), {"intro": 0.5, "training": 2.0})
    ...     save_seconds(Path(folder), {"training": 1.5})
    ...     load_seconds(Path(folder))
    {'intro': 0.5, 'training': 1.5}
    """
    record = load_seconds(doctreedir)
    record.update(seconds)
    doctreedir.mkdir(parents=True, exist_ok=True)
    temporary = doctreedir / f"{RECORD}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    temporary.replace(doctreedir / RECORD)


def balance(
    docnames: list[str], seconds: Mapping[str, float], chunk_sizes: Sequence[int], workers: int
) -> None:
    """Reorder ``docnames`` in place so that consecutive chunks of ``chunk_sizes`` take equal time.

    The first ``workers`` chunks start together; a chunk after them starts
    only when one of them ends, so it gets the quickest pages. The others
    are filled longest page first, each into the chunk with the least time
    so far. A page with no record counts as the average one.

    >>> pages = ["a", "b", "c", "d", "e"]
    >>> balance(pages, {"a": 5.0, "b": 4.0, "c": 1.0, "d": 1.0, "e": 0.1}, [2, 2, 1], workers=2)
    >>> pages
    ['a', 'd', 'b', 'c', 'e']
    """
    if sum(chunk_sizes) != len(docnames):
        raise ValueError(f"chunks of {list(chunk_sizes)} do not hold {len(docnames)} pages")
    known = [seconds[page] for page in docnames if page in seconds]
    if not known or len(chunk_sizes) < 2:
        return
    workers = min(workers, len(chunk_sizes))
    typical = sum(known) / len(known)

    def cost(page: str) -> float:
        return seconds.get(page, typical)

    by_cost = sorted(docnames, key=lambda page: (-cost(page), page))
    chunks: list[list[str]] = [[] for _ in chunk_sizes]
    for index in range(len(chunk_sizes) - 1, workers - 1, -1):
        while len(chunks[index]) < chunk_sizes[index]:
            chunks[index].append(by_cost.pop())
    load = [0.0] * len(chunk_sizes)
    for page in by_cost:
        open_chunks = [i for i in range(workers) if len(chunks[i]) < chunk_sizes[i]]
        target = min(open_chunks, key=lambda i: (load[i], i))
        chunks[target].append(page)
        load[target] += cost(page)
    docnames[:] = [page for chunk in chunks for page in sorted(chunk)]
