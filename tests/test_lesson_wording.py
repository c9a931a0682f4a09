"""The pages tell the source lessons' story in their own words.

The site follows the order, examples and numbers of the source lessons kept
beside the repository (``../shared/lessons``), but its sentences are new: no
run of ten consecutive words of a page's prose appears in a source text.

The sources are not part of the repository, so the test compares against a
digest of every ten-word run of them, ``tests/data/source-runs.txt``; where
the sources are present, a test checks that the digest matches them. Write
it anew with ``python tests/test_lesson_wording.py``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SOURCES = ROOT.parent / "shared" / "lessons"
DIGEST = Path(__file__).resolve().parent / "data" / "source-runs.txt"
RUN = 10

PAGES = sorted(DOCS.rglob("*.md"))


def words(text: str) -> list[str]:
    """Lower-case words, with markup and punctuation dropped."""
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


# Directives whose body is prose; every other fenced block is code or a figure.
PROSE_DIRECTIVES = re.compile(r"\{(dropdown|admonition|note|tip|warning)\}")
FENCE = re.compile(r"^(`{3,}|:{3,})(.*)$")


def prose(markdown: str) -> str:
    """A page without its code blocks, figure directives, formulas, inline code and citations."""
    kept: list[str] = []
    fences: list[tuple[str, bool]] = []  # (fence, is its body prose?)
    for line in markdown.splitlines():
        match = FENCE.match(line.strip())
        if match and fences and match[1] == fences[-1][0] and not match[2].strip():
            fences.pop()
            continue
        if match and match[2].strip() and all(body for _, body in fences):
            fences.append((match[1], bool(PROSE_DIRECTIVES.match(match[2].strip()))))
            continue
        if all(body for _, body in fences) and not line.lstrip().startswith(":"):
            kept.append(line)
    text = "\n".join(kept)
    # A link to an outside work is a citation: its text is that work's title.
    text = re.sub(r"\[[^\]]*\]\(https?://[^)]*\)", " ", text)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    return re.sub(r"`[^`]*`", " ", text)


def runs(tokens: list[str], length: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


def source_runs() -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for source in sorted(SOURCES.glob("*.txt")):
        found |= runs(words(source.read_text(errors="replace")))
    return found


def test_runs_are_found_through_markup() -> None:
    copied = "It turns out that *the* `gradient` is, simply, the slope of the curve here."
    page = "Some words first. " + copied.replace("*", "**")
    assert runs(words(prose(page))) & runs(words(prose(copied)))


def test_code_is_not_counted_as_prose() -> None:
    page = "Before.\n\n```python\none two three four five six seven eight nine ten\n```\nAfter.\n"
    assert words(prose(page)) == ["before", "after"]
    assert words(prose("A $x + y$ and\n$$\nf(x)\n$$\nB")) == ["a", "and", "b"]
    nested = "````{dropdown} Try\nWords.\n```pycon\n>>> one\n```\nMore.\n````\nEnd.\n"
    assert words(prose(nested)) == ["words", "more", "end"]


def fingerprint(run: tuple[str, ...]) -> str:
    """A short, stable digest of one run of words (64 bits: collisions are negligible)."""
    return hashlib.blake2b(" ".join(run).encode(), digest_size=8).hexdigest()


@functools.cache
def source_digest() -> set[str]:
    return set(DIGEST.read_text().split())


def test_a_run_is_found_through_its_digest() -> None:
    run = tuple(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])
    assert fingerprint(run) in {fingerprint(tuple(words(" ".join(run).upper())))}
    assert fingerprint(run) != fingerprint((*run[1:], "eleven"))


def test_the_digest_matches_the_sources_where_they_are_present() -> None:
    if not SOURCES.is_dir():
        # A clean checkout elsewhere has only the digest; it is what the pages are checked against.
        assert len(source_digest()) > 4000
        return
    assert source_digest() == {fingerprint(run) for run in source_runs()}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_no_ten_word_run_of_a_page_is_copied_from_the_sources(page: Path) -> None:
    page_runs = runs(words(prose(page.read_text())))
    copied = [" ".join(run) for run in page_runs if fingerprint(run) in source_digest()]
    assert sorted(copied) == []


if __name__ == "__main__":
    DIGEST.parent.mkdir(exist_ok=True)
    DIGEST.write_text("".join(f"{h}\n" for h in sorted({fingerprint(r) for r in source_runs()})))
