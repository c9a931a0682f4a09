"""Sessions: `nox -s tests` runs every test, `nox -s docs` builds the site."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
BUILD = ROOT / "build"
CONSTRAINTS = ROOT / "constraints.txt"
SPHINX_ARGS = ["-c", "conf", "-b", "html", "-n", "-W", "--keep-going", "-E", "-a", "-j", "auto"]


def install(session: nox.Session, *arguments: str) -> None:
    """``pip install`` at the versions in constraints.txt: every session installs through here."""
    session.install("-c", str(CONSTRAINTS), *arguments)


@nox.session
def tests(session: nox.Session) -> None:
    """Every test: the engine, the extension, the docstrings and every page's examples."""
    install(session, "-e", ".[tests,docs]")
    session.run(
        "pytest",
        "-m",
        "not torch",
        "--doctest-modules",
        "autograd",
        "tests",
        *session.posargs,
    )


@nox.session
def torch(session: nox.Session) -> None:
    """Parity tests against PyTorch (CPU build) and the PyTorch lesson's transcripts."""
    install(session, "-e", ".[tests,docs]", "torch")
    session.run("pytest", "-m", "torch", "tests", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    install(session, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    install(session, "-e", ".[docs]", "mypy", "types-docutils", "types-Pygments")
    session.run("mypy", "--strict", "autograd")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed and memory against micrograd and plain floats, as ratios."""
    install(session, "-e", ".[bench]")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(name="bench-docs", default=False)
def bench_docs(session: nox.Session) -> None:
    """Docs build times: full, without execution, and after editing one lesson, as ratios."""
    install(session, "-e", ".[docs]")
    session.run("python", "benchmarks/docs_build.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """A full, strict HTML build of the site into build/html."""
    install(session, "-e", ".[docs]")
    shutil.rmtree(BUILD / "html", ignore_errors=True)  # no page left over from a renamed source
    session.run(
        "sphinx-build",
        *SPHINX_ARGS,
        "-d",
        str(BUILD / "doctrees"),
        "docs",
        str(BUILD / "html"),
        *session.posargs,
    )


@nox.session(default=False)
def epub(session: nox.Session) -> None:
    """The site as an EPUB book, build/epub/autograd.epub, checked (by epubcheck if installed)."""
    install(session, "-e", ".[docs]")
    out = BUILD / "epub"
    shutil.rmtree(out, ignore_errors=True)
    options = [*SPHINX_ARGS[:2], "-b", "epub", *SPHINX_ARGS[4:]]
    session.run("sphinx-build", *options, "-d", str(BUILD / "doctrees-epub"), "docs", str(out))
    session.run("python", "tools/check_book.py", "epub", str(out / "autograd.epub"), "docs")


@nox.session(default=False)
def pdf(session: nox.Session) -> None:
    """The site as a PDF, build/latex/autograd.pdf, with XeLaTeX; skipped where TeX is missing."""
    missing = [name for name in ("latexmk", "xelatex", "make") if shutil.which(name) is None]
    if missing:
        session.skip(
            f"no {', '.join(missing)} here: install TeX to build the PDF "
            "(Debian: apt-get install latexmk texlive-xetex texlive-latex-extra fonts-dejavu-core)"
        )
    install(session, "-e", ".[docs]", "pypdf")
    out = BUILD / "latex"
    shutil.rmtree(out, ignore_errors=True)
    options = [*SPHINX_ARGS[:2], "-b", "latex", *SPHINX_ARGS[4:]]
    session.run("sphinx-build", *options, "-d", str(BUILD / "doctrees-latex"), "docs", str(out))
    session.run(
        "make",
        "-C",
        str(out),
        "LATEXMKOPTS=-interaction=nonstopmode -halt-on-error",
        external=True,
        silent=True,
    )
    session.run("python", "tools/check_book.py", "pdf", str(out / "autograd.pdf"), "docs")


@nox.session(name="docs-live", default=False)
def docs_live(session: nox.Session) -> None:
    """Rebuild the site on every change of conf/, docs/ or autograd/ and serve it."""
    install(session, "-e", ".[docs]", "sphinx-autobuild")
    session.run(
        "sphinx-autobuild",
        "-c",
        "conf",
        "-n",
        "--watch",
        "conf",
        "--watch",
        "autograd",
        "docs",
        str(BUILD / "html"),
        *session.posargs,
    )


def _npm_version_mismatch(name: str) -> bool:
    """Does ``node_modules`` lack the version of ``name`` that ``package-lock.json`` pins?"""
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    manifest = ROOT / "node_modules" / name / "package.json"
    installed = json.loads(manifest.read_text())["version"] if manifest.exists() else None
    return bool(installed != lock[f"node_modules/{name}"]["version"])


@nox.session(default=False)
def browser(session: nox.Session) -> None:
    """Open every built page in headless Chromium; fail on a console error, an empty
    diagram, or an accessibility violation that axe-core rates critical or serious.

    Then, on every lesson: the notebook download, and Run in browser showing what the
    page shows; on three, an edit and a redrawn graph.
    """
    if not (BUILD / "html" / "index.html").exists():
        session.error("build/html is missing: run `nox -s docs` first")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        session.error("Chromium is not installed: apt-get install chromium")
    # axe-core is a devDependency in package-lock.json: the docs build's `npm ci` installs
    # it, but a node_modules installed before it was pinned (or without it) lacks it.
    if _npm_version_mismatch("axe-core"):
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    install(session, "-e", ".", "playwright", "nbformat")
    env = {"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "CHROMIUM": chromium}
    session.run("python", "tools/check_site.py", str(BUILD / "html"), env=env)
    session.run("python", "tools/check_run_in_browser.py", str(BUILD / "html"), env=env)
