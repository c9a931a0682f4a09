"""What "Run in browser" needs in the built site: Python for the web, Graphviz, our wheels.

Set ``autograd_project_root`` in ``conf.py`` to this project's checkout (the
folder with ``pyproject.toml``, ``package.json`` and ``package-lock.json``) to
turn it on. ``autograd_run_in_browser`` says whether the site ships it:
``None`` (the default) ships it where npm can install Pyodide and Viz.js (or
has already) and otherwise builds the rest of the site and says so in one
line; ``True`` requires it, ``False`` leaves it out. The build then

1. installs the pinned npm packages ``pyodide`` and ``@viz-js/viz`` with
   ``npm ci`` when ``node_modules`` is missing or holds other versions;
2. builds this project's wheel from the checkout (hatchling), and packs the
   installed pure-Python ``graphviz`` distribution, its one dependency, as a
   wheel too;
3. copies Pyodide, Viz.js and both wheels into ``_static/``, with a manifest
   ``autograd-run.json`` that the page's Web Worker reads.

Each page with examples gets a "Run in browser" button (see
`autograd.sphinxext.downloads`). The page script ``autograd-run.js`` starts
the worker ``autograd-worker.mjs`` only when the reader asks; everything it
loads comes from the site itself.
"""

from __future__ import annotations

import base64
import filecmp
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError
from sphinx.util import logging

from autograd.sphinxext.downloads import run_in_browser

__all__ = [
    "build_wheel",
    "setup",
    "wheel_of_installed",
]

logger = logging.getLogger(__name__)

NPM_PACKAGES = {
    "pyodide": [
        "pyodide.mjs",
        "pyodide.asm.mjs",
        "pyodide.asm.wasm",
        "python_stdlib.zip",
        "pyodide-lock.json",
    ],
    "@viz-js/viz": ["dist/viz.js"],
}
"""The files of each npm package that the site serves, under ``_static/<last part>/``."""

# The same date for every file of a packed wheel: the same sources give the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _choose(app: Sphinx, config: Config) -> None:
    """Settle ``autograd_run_in_browser``: on where it can be built, unless set.

    The choice in effect becomes the config value, so that npm arriving (or
    leaving) rewrites every page: no page keeps a button whose files are gone.
    """
    wanted = config.autograd_run_in_browser
    if not config.autograd_project_root:
        config.autograd_run_in_browser = False
        return
    if wanted is None:
        root = Path(config.autograd_project_root).resolve()
        available = _npm_packages_installed(root) or shutil.which("npm") is not None
        if not available:
            logger.info(
                "autograd: Run in browser is off: npm is not installed, so Pyodide and Viz.js "
                "cannot be; install Node.js with npm (Debian: apt-get install npm) and build "
                "again to turn it on"
            )
        config.autograd_run_in_browser = available


def _npm_packages_installed(root: Path) -> bool:
    try:
        locked = _locked_versions(root)
    except (OSError, ValueError, KeyError):
        return False
    return all(_installed_version(root, name) == locked[name] for name in locked)


def _root(app: Sphinx) -> Path:
    return Path(app.config.autograd_project_root).resolve()


def _locked_versions(root: Path) -> dict[str, str]:
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in NPM_PACKAGES}


def _installed_version(root: Path, name: str) -> str | None:
    manifest = root / "node_modules" / name / "package.json"
    if not manifest.exists():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def install_npm_packages(root: Path) -> None:
    """Run ``npm ci`` in ``root`` unless ``node_modules`` already has the locked versions."""
    for required in ("package.json", "package-lock.json"):
        if not (root / required).exists():
            raise ExtensionError(f"Run in browser: {root / required} is missing")
    if _npm_packages_installed(root):
        return
    locked = _locked_versions(root)
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError(
            "Run in browser needs npm to install Pyodide and Viz.js "
            f"({', '.join(f'{n}@{v}' for n, v in locked.items())}) from {root}/package-lock.json: "
            "install Node.js with npm (Debian: apt-get install npm), "
            "or leave autograd_run_in_browser unset (or False) in conf.py to build without it"
        )
    logger.info("autograd: npm ci (Pyodide and Viz.js for Run in browser)")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ExtensionError(f"Run in browser: 'npm ci' failed in {root}:\n{result.stderr}")


def build_wheel(project: Path, directory: Path) -> Path:
    """Build the wheel of the project in ``project`` into ``directory`` (with hatchling)."""
    from hatchling.builders.wheel import WheelBuilder

    directory.mkdir(parents=True, exist_ok=True)
    built = list(WheelBuilder(str(project)).build(directory=str(directory), versions=["standard"]))
    return Path(built[0])


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def wheel_of_installed(name: str, directory: Path) -> Path:
    """Pack the installed pure-Python distribution ``name`` as a wheel in ``directory``.

    >>> import tempfile
    >>> from autograd.sphinxext.pyodide_assets import wheel_of_installed
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     wheel_of_installed("graphviz", Path(folder)).name.startswith("graphviz-")
    True
    """
    distribution = importlib.metadata.distribution(name)
    wheel_text = distribution.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if "Tag:" in line]
    if "Root-Is-Purelib: true" not in wheel_text or not tags:
        raise ExtensionError(f"Run in browser: {name} is not a pure-Python wheel")
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    files = sorted(
        str(path)
        for path in distribution.files or []
        if "__pycache__" not in path.parts
        and not str(path).startswith("..")
        and path.name not in skipped
    )
    dist_info = next(path.split("/")[0] for path in files if path.endswith(".dist-info/WHEEL"))
    normalized = distribution.metadata["Name"].replace("-", "_")
    target = directory / f"{normalized}-{distribution.version}-{tags[0]}.whl"
    directory.mkdir(parents=True, exist_ok=True)
    records = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            data = Path(str(distribution.locate_file(path))).read_bytes()
            archive.writestr(zipfile.ZipInfo(path, _ZIP_DATE), data, zipfile.ZIP_DEFLATED)
            records.append(f"{path},{_record_hash(data)},{len(data)}")
        records.append(f"{dist_info}/RECORD,,")
        record = zipfile.ZipInfo(f"{dist_info}/RECORD", _ZIP_DATE)
        archive.writestr(record, "\n".join(records) + "\n", zipfile.ZIP_DEFLATED)
    return target


RUN_STATIC = Path(__file__).parent / "run_static"
"""The page script, its worker and its stylesheet: in the site only with the feature."""


def _prepare(app: Sphinx) -> None:
    if run_in_browser(app):
        install_npm_packages(_root(app))
        app.config.html_static_path.append(str(RUN_STATIC))
        app.add_css_file("autograd-run.css")


def copy_assets(app: Sphinx, exception: Exception | None) -> None:
    """Copy Pyodide, Viz.js and the wheels into ``_static``; write the worker's manifest."""
    if exception is not None or not run_in_browser(app):
        return
    root = _root(app)
    static = Path(app.outdir) / "_static"
    for package, files in NPM_PACKAGES.items():
        target = static / package.split("/")[-1]
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            source, copy = root / "node_modules" / package / name, target / Path(name).name
            # Rebuilds (docs-live) skip the copy of files that have not changed.
            if not copy.exists() or not filecmp.cmp(source, copy, shallow=True):
                shutil.copy2(source, copy)
    names = _wheels(root, static / "wheels", Path(app.doctreedir) / "autograd-wheels.json")
    manifest = {"wheels": names, "versions": _locked_versions(root)}
    (static / "autograd-run.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def _wheels(root: Path, wheels: Path, stamp: Path) -> list[str]:
    """The names of this project's wheel and Graphviz's in ``wheels``, built only when needed.

    ``stamp`` keeps a digest of what goes into them and one of each wheel;
    while the first still matches and the wheels in ``wheels`` are the very
    files it built, a rebuild (one edited lesson) reuses them.
    """
    digest = _wheel_inputs_digest(root)
    try:
        kept = json.loads(stamp.read_text())
        if kept["digest"] == digest and all(
            _file_digest(wheels / name) == sha256 for name, sha256 in kept["wheels"]
        ):
            return [str(name) for name, _ in kept["wheels"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    shutil.rmtree(wheels, ignore_errors=True)
    names = [build_wheel(root, wheels).name, wheel_of_installed("graphviz", wheels).name]
    built = [[name, _file_digest(wheels / name)] for name in names]
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"digest": digest, "wheels": built}) + "\n")
    return names


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wheel_inputs_digest(root: Path) -> str:
    """A digest of everything that can change the wheels: a superset, never fewer.

    The package's files, the project's metadata and ignore rules, the
    versions of hatchling (which builds the project's wheel) and of the
    installed Graphviz (which is packed as it is), and ``SOURCE_DATE_EPOCH``.
    """
    versions = [importlib.metadata.version(name) for name in ("graphviz", "hatchling")]
    # hatchling dates the files inside the wheel by it
    versions.append(os.environ.get("SOURCE_DATE_EPOCH", ""))
    digest = hashlib.sha256(" ".join(versions).encode())
    package = sorted(
        path
        for path in (root / "autograd").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    metadata = ["pyproject.toml", "README.md", "LICENSE", ".gitignore"]
    for path in [*(root / name for name in metadata), *package]:
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def setup(app: Sphinx) -> None:
    """Register ``autograd_project_root`` and the steps that build the browser files."""
    app.add_config_value("autograd_project_root", "", "html", types=[str])
    app.add_config_value("autograd_run_in_browser", None, "html", types=[bool, type(None)])
    app.connect("config-inited", _choose)
    app.connect("builder-inited", _prepare)
    app.connect("build-finished", copy_assets)
