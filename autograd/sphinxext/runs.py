"""What the build keeps of each page's run, in one typed record per page.

`RunsCollector` owns the records on the build environment, as Sphinx's own
collectors own theirs: a page read again drops its old record, and the
records of parallel readers are merged into the main process. The build
reads them at its end to report what ran, to record each page's time for
the next build's schedule, and to fail if any example failed.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors import EnvironmentCollector

__all__ = ["PageRun", "RunsCollector", "runs"]

_ATTRIBUTE = "autograd_runs"


@dataclass(frozen=True)
class PageRun:
    """One page's run: examples run, seconds they took, failures (``file:line``), read time."""

    examples: int
    seconds: float
    failures: tuple[str, ...]
    read_seconds: float


def runs(env: BuildEnvironment) -> dict[str, PageRun]:
    """The runs of the pages read in this build, by page name.

    >>> from types import SimpleNamespace
    >>> from autograd.sphinxext.runs import PageRun, runs
    >>> env = SimpleNamespace()
    >>> runs(env)["index"] = PageRun(3, 0.1, (), 0.2)
    >>> runs(env)
    {'index': PageRun(examples=3, seconds=0.1, failures=(), read_seconds=0.2)}
    """
    found: dict[str, PageRun] | None = getattr(env, _ATTRIBUTE, None)
    if found is None:
        found = {}
        setattr(env, _ATTRIBUTE, found)
    return found


class RunsCollector(EnvironmentCollector):
    """Keeps `runs` right as pages are read again, removed, or read in parallel."""

    def clear_doc(self, app: Sphinx, env: BuildEnvironment, docname: str) -> None:
        """Forget the run of a page that is read again or removed."""
        runs(env).pop(docname, None)

    def merge_other(
        self, app: Sphinx, env: BuildEnvironment, docnames: Set[str], other: BuildEnvironment
    ) -> None:
        """Take the runs of the pages a parallel reader read."""
        theirs = runs(other)
        for docname in docnames:
            if docname in theirs:
                runs(env)[docname] = theirs[docname]

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        """Nothing here: the page's run is recorded where it runs (`execute_page`)."""
