"""Every lesson page ends with exercises whose solutions are hidden and run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LESSONS = sorted((Path(__file__).resolve().parent.parent / "docs" / "lessons").glob("*.md"))
FENCE_WITH_INFO = re.compile(r"^\s*(`{3,})(?!`)(\S.*)$", re.M)
DROPDOWN = re.compile(r"^(`{4,}|:{4,})\{dropdown\}[^\n]*\n(.*?)^\1\s*$", re.S | re.M)


def test_a_page_with_two_dropdowns_is_recognised() -> None:
    page = "````{dropdown} A\n```pycon\n>>> 1\n1\n```\n````\n\n````{dropdown} B\nx\n````\n"
    assert len(DROPDOWN.findall(page)) == 2


@pytest.mark.parametrize("page", LESSONS, ids=[p.name for p in LESSONS])
def test_every_lesson_has_two_exercises_with_a_solution_that_runs(page: Path) -> None:
    exercises = DROPDOWN.findall(page.read_text())
    assert len(exercises) >= 2, f"{page.name} has {len(exercises)} exercises"
    for _, body in exercises:
        assert "{admonition} Solution" in body
        # A solution runs if it is a pycon block (a PyTorch transcript runs in nox -s torch).
        assert re.search(r"^```pycon\n>>> ", body, re.M) or "torch-transcript" in body


@pytest.mark.parametrize("page", LESSONS, ids=[p.name for p in LESSONS])
def test_no_backtick_fence_has_a_backtick_in_its_info_string(page: Path) -> None:
    # CommonMark does not open a fence whose info string holds a backtick: such a
    # "directive" would silently become text, and its examples would not run.
    for _, info in FENCE_WITH_INFO.findall(page.read_text()):
        assert "`" not in info, f"{page.name}: {info}"
