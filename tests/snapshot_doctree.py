"""A Sphinx extension for tests/test_snapshots.py: writes each page's final doctree.

On ``doctree-resolved``, after the extension's own handlers (the downloads are
written at the default priority, 500), the doctree as the HTML writer receives
it is written to ``<outdir>/<page>.doctree.xml`` as docutils' pseudo-XML. Each
SVG held in an attribute (a figure's drawings) is written as its length and
digest: the drawings themselves are compared where they are shown, in the
page's HTML and notebook. An attribute that is a list of records (the frames
of a ``backward-steps`` figure) is written as one child element per record,
named after the attribute, so that each record reads on a line of its own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def summarise_svg(value: Any) -> Any:
    """``value`` with each SVG text in it, however nested, replaced by its length and digest."""
    if isinstance(value, str) and value.lstrip().startswith(("<svg", "<?xml")):
        digest = hashlib.sha256(value.encode()).hexdigest()[:16]
        return f"svg of {len(value)} characters, sha256 {digest}"
    if isinstance(value, list | tuple):
        return type(value)(summarise_svg(item) for item in value)
    if isinstance(value, dict):
        return {key: summarise_svg(item) for key, item in value.items()}
    return value


def records_as_children(element: nodes.Element) -> None:
    """Write each attribute that is a list of records as one child element per record."""
    for name, value in list(element.attributes.items()):
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            del element.attributes[name]
            for index, record in enumerate(value):
                child = nodes.Element(**record)
                child.tagname = name
                element.insert(index, child)


def keep(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    copy = doctree.deepcopy()
    for element in list(copy.findall(nodes.Element)):
        for name, value in element.attributes.items():
            element.attributes[name] = summarise_svg(value)
        records_as_children(element)
    target = Path(app.outdir) / f"{docname}.doctree.xml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(copy.pformat(), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-resolved", keep, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
