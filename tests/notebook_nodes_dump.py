"""A Sphinx extension for tests/test_notebook_nodes.py: keeps each page's resolved doctree.

On ``doctree-resolved``, before the notebook writer (`autograd.sphinxext.downloads`)
changes the page, a copy of the doctree is pickled to ``<outdir>/_doctrees/<page>.pickle``:
the nodes exactly as the writer reads them.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def keep(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    target = Path(app.outdir) / "_doctrees" / f"{docname}.pickle"
    target.parent.mkdir(parents=True, exist_ok=True)
    copy = doctree.deepcopy()
    copy.reporter = copy.transformer = copy.settings = None  # as Sphinx pickles doctrees
    target.write_bytes(pickle.dumps(copy))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-resolved", keep, priority=100)  # the writer runs at 500
    return {"parallel_read_safe": True, "parallel_write_safe": True}
