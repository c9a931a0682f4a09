"""Check the site as a reader gets it offline: the EPUB book, or the PDF.

    python tools/check_book.py epub build/epub/autograd.epub docs
    python tools/check_book.py pdf build/latex/autograd.pdf docs

For the EPUB: the package is a valid EPUB (epubcheck where it is installed;
otherwise the structure epubcheck checks first: the mimetype entry, the
container, a manifest that lists every file, well-formed XHTML, every image
present), and each lesson holds as many figure images as its source has
figures (a backward pass counts one image per step). For the PDF: it opens,
has pages, and holds at least one image per figure of the lessons.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

FIGURE = re.compile(r"^`{3,}\{(value-graph|backward-steps|live-plot)\}", re.M)
OPF = "{http://www.idpf.org/2007/opf}"


def lesson_figures(docs: Path) -> dict[str, int]:
    """How many figure directives each lesson's source has."""
    return {
        path.stem: len(FIGURE.findall(path.read_text(encoding="utf-8")))
        for path in sorted((docs / "lessons").glob("*.md"))
    }


def check_epub(book: Path, docs: Path) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(book) as archive:
        names = archive.namelist()
        if names[0] != "mimetype" or archive.read("mimetype") != b"application/epub+zip":
            problems.append("the first entry is not the mimetype application/epub+zip")
        container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
        package = next(e.get("full-path", "") for e in container.iter() if e.get("full-path"))
        manifest = ElementTree.fromstring(archive.read(package))
        listed = {item.get("href", "") for item in manifest.iter(f"{OPF}item")}
        for name in names:
            ours = name not in {"mimetype", package} and not name.startswith("META-INF/")
            if ours and name not in listed:
                problems.append(f"{name} is in the book but not in its manifest")
        for stem, expected in lesson_figures(docs).items():
            page = f"lessons/{stem}.xhtml"
            if page not in names:
                problems.append(f"{page} is missing")
                continue
            text = archive.read(page).decode()
            ElementTree.fromstring(text)
            images = re.findall(r'<img src="([^"]+)"', text)
            for source in images:
                target = str(PurePosixPath("lessons", source))
                target = str(PurePosixPath(*_normalise(PurePosixPath(target).parts)))
                if target not in names:
                    problems.append(f"{page}: image {source} is missing")
            figures = len(re.findall(r'<div class="autograd-stills">', text))
            if figures != expected:
                problems.append(f"{page}: {figures} figures, its source has {expected}")
    epubcheck = _epubcheck()
    if not epubcheck:
        print("epubcheck is not installed: the structure was checked, not the whole standard")
    else:
        result = subprocess.run([*epubcheck, "-q", str(book)], capture_output=True, text=True)
        if result.returncode != 0:
            problems.append("epubcheck:\n" + result.stdout + result.stderr)
        else:
            print(f"{book}: epubcheck found no problem")
    return problems


def _epubcheck() -> list[str]:
    """The command that runs epubcheck: Debian's is a jar, which only java runs everywhere."""
    found = shutil.which("epubcheck")
    if found is None:
        return []
    if Path(found).resolve().suffix == ".jar":
        java = shutil.which("java")
        return [java, "-jar", str(Path(found).resolve())] if java else []
    return [found]


def _normalise(parts: tuple[str, ...]) -> list[str]:
    kept: list[str] = []
    for part in parts:
        if part == "..":
            kept.pop()
        elif part != ".":
            kept.append(part)
    return kept


def check_pdf(pdf: Path, docs: Path) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    images = sum(len(page.images) for page in reader.pages)
    figures = sum(lesson_figures(docs).values())
    print(f"{pdf}: {len(reader.pages)} pages, {images} images, {figures} figures in the lessons")
    problems = []
    if images < figures:
        problems.append(f"{images} images in the PDF, fewer than the lessons' {figures} figures")
    return problems


def main() -> int:
    kind, path, docs = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    problems = (check_epub if kind == "epub" else check_pdf)(path, docs)
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{path}: checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
