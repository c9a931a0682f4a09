"""Tests that need a program outside Python: skipped where it is missing, never in CI.

Mark such a test ``@pytest.mark.needs("dot")`` (or ``"node"``). On a machine
without the program the test is skipped with a reason that says how to run
it. With ``AUTOGRAD_NO_SKIP=1`` in the environment, as CI sets it, every skip
(these and any other) is a failure: a run cannot pass by skipping.

``--snapshot-update`` rewrites the snapshots of tests/test_snapshots.py from the
run instead of comparing with them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator

import pytest

PROGRAMS: dict[str, tuple[tuple[str, ...], str]] = {
    "dot": (("dot",), "Graphviz's dot (Debian: apt-get install graphviz)"),
    "node": (("node", "nodejs"), "Node.js (Debian: apt-get install nodejs)"),
    "chromium": (("chromium", "chromium-browser"), "Chromium (Debian: apt-get install chromium)"),
}
"""Each program a test may need: the names it goes by, and what to install."""

NO_SKIP = "AUTOGRAD_NO_SKIP"

# Builds that the tests start run with the hash seed a build would start itself
# again with (see autograd.sphinxext), which saves them that start.
os.environ.setdefault("PYTHONHASHSEED", "0")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--snapshot-update",
        action="store_true",
        help="rewrite the files in tests/snapshots from this run instead of comparing with them",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(program): the test runs a program outside Python: dot, node, chromium"
    )


def missing(program: str) -> str | None:
    """Why a test that needs ``program`` cannot run here, or None if it can."""
    names, install = PROGRAMS[program]
    if any(shutil.which(name) for name in names):
        return None
    return f"needs {install} on PATH; install it to run this test"


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("needs"):
        for program in marker.args:
            if program not in PROGRAMS:
                raise pytest.UsageError(f"{item.nodeid}: unknown program {program!r} in needs()")
            reason = missing(program)
            if reason is not None:
                pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and os.environ.get(NO_SKIP) and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped, and {NO_SKIP} is set: {reason}"
    return report
