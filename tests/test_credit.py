"""Credit for the work the lessons follow points at that work, everywhere it is given."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LECTURE = "https://www.youtube.com/watch?v=VMj-3S1tku0"
"""The spelled-out intro to neural networks and backpropagation: building micrograd."""

CREDITED = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
VIDEO_LINK = re.compile(r"https?://(?:www\.)?(?:youtube\.com/watch\?v=|youtu\.be/)([\w-]+)")


def test_every_video_link_is_the_lecture() -> None:
    found = {
        f"{path.relative_to(ROOT)}: {match[0]}"
        for path in CREDITED
        for match in VIDEO_LINK.finditer(path.read_text(encoding="utf-8"))
        if match[0] != LECTURE
    }
    assert not found, "a video link that is not the lecture:\n" + "\n".join(sorted(found))


def test_the_readme_and_the_home_page_credit_the_lecture_and_the_repository() -> None:
    for path in (ROOT / "README.md", ROOT / "docs" / "index.md"):
        text = path.read_text(encoding="utf-8")
        assert LECTURE in text, path.name
        assert "https://github.com/karpathy/micrograd" in text, path.name
