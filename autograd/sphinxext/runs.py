"""What the build keeps of each page's run, in one typed record per page.

`RunsCollector` owns the records on the build environment, as Sphinx's own
collectors own theirs: a page read again drops its old record, and the
records of parallel readers are merged into the main process. The build
reads them at its end to report what ran, to record each page's time for
the next build's schedule, and to fail if any example failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.environment.collectors import EnvironmentCollector

__all__ = ["PageRun", "RunsCollector", "changed_environ", "environ_read", "runs"]

_ATTRIBUTE = "autograd_runs"
_ENVIRON = "autograd_environ"


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


def environ_read(env: BuildEnvironment) -> dict[str, dict[str, str | None]]:
    """The environment variables each page read when it last ran, with their values.

    Unlike `runs`, kept from build to build: a page read again replaces its own.
    """
    found: dict[str, dict[str, str | None]] | None = getattr(env, _ENVIRON, None)
    if found is None:
        found = {}
        setattr(env, _ENVIRON, found)
    return found


def changed_environ(env: BuildEnvironment, now: Mapping[str, str]) -> list[str]:
    """The pages that read an environment variable whose value is not what it was.

    >>> from types import SimpleNamespace
    >>> from autograd.sphinxext.runs import changed_environ, environ_read
    >>> env = SimpleNamespace()
    >>> environ_read(env).update(a={"LANG": "C"}, b={"HOME": "/root"}, c={"UNSET": None})
    >>> changed_environ(env, {"LANG": "C.UTF-8", "HOME": "/root"})
    ['a']
    """
    return sorted(
        docname
        for docname, read in environ_read(env).items()
        if any(now.get(name) != value for name, value in read.items())
    )


class RunsCollector(EnvironmentCollector):
    """Keeps `runs` right as pages are read again, removed, or read in parallel."""

    def clear_doc(self, app: Sphinx, env: BuildEnvironment, docname: str) -> None:
        """Forget the run of a page that is read again or removed."""
        runs(env).pop(docname, None)
        environ_read(env).pop(docname, None)

    def merge_other(
        self, app: Sphinx, env: BuildEnvironment, docnames: Set[str], other: BuildEnvironment
    ) -> None:
        """Take the runs of the pages a parallel reader read."""
        theirs, their_environ = runs(other), environ_read(other)
        for docname in docnames:
            if docname in theirs:
                runs(env)[docname] = theirs[docname]
            if docname in their_environ:
                environ_read(env)[docname] = their_environ[docname]

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        """Nothing here: the page's run is recorded where it runs (`execute_page`)."""
