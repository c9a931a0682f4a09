"""Sphinx configuration of the autograd site. Builds pass ``-c conf``."""

from __future__ import annotations

import sys
from pathlib import Path

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "autograd"
author = "The autograd lessons team"
copyright = "2026, the autograd lessons team"
release = version = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_autodoc_typehints",
    "sphinx_copybutton",
    "sphinx_design",
    "autograd.sphinxext",
    # Formulas as MathML, converted at build time (math-core): no MathJax, no script.
    "autograd.sphinxext.mathml",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
# furo with fixes for screen readers (see the templates).
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
# Formulas are MathML (autograd.sphinxext.mathml): there is no MathJax to configure.
myst_update_mathjax = False
myst_heading_anchors = 3

nitpicky = True
# Names from outside the project that the API reference mentions in type hints;
# the build makes no network fetch, so there is no intersphinx inventory for them.
nitpick_ignore_regex = [
    ("py:class", r"(collections\.abc|typing|random|graphviz|types|numbers|doctest|pathlib)\..*"),
    ("py:class", r"(Real|Random|Digraph|TracebackType|DocTest|Example|Path|Builder|Theme)"),
    ("py:class", r"autograd\.engine\._BackwardRule"),
    ("py:class", r"(docutils|sphinx)\..*"),
]

# sphinx-autodoc-typehints runs the TYPE_CHECKING blocks of Sphinx's own modules, and
# some of those do not evaluate at run time; that says nothing about this project.
suppress_warnings = ["sphinx_autodoc_typehints.guarded_import"]

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "signature"
typehints_use_signature = True
typehints_use_signature_return = True
always_document_param_types = False
typehints_document_rtype = False


def _split_parameters(text: str) -> list[str]:
    """The top-level, comma-separated parts of a signature's parameter list."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()] if current.strip() else parts


def documented_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    """A signature as the reference shows it: no private arguments, no ``<factory>``.

    ``Value(data, _children, _op, label)``: the underscored arguments are how the
    engine builds nodes internally, not part of what a user calls. A dataclass
    field made by a default factory shows as ``<factory>``, which is not Python,
    so Sphinx would split its type at the commas; it is written ``...`` instead.
    """
    if not signature:
        return None
    parameters = _split_parameters(signature[1:-1])
    kept = [
        parameter.replace("= <factory>", "= ...")
        for parameter in parameters
        if not parameter.lstrip("*").startswith("_")
    ]
    if kept == parameters:
        return None
    return f"({', '.join(kept)})", return_annotation


def setup(app: Sphinx) -> None:
    # The first handler that returns a signature wins, so run before the type-hints one.
    app.connect("autodoc-process-signature", documented_signature, priority=400)


# Each lesson as a notebook and a script, and "Run in browser" (Pyodide and Viz.js
# from this checkout's package-lock.json, and this project's wheel built from it).
autograd_notebook_pages = ["lessons/*"]
autograd_project_root = str(ROOT)

html_theme = "furo"
# Compiled theme templates are kept between builds (in the doctree folder).
template_bridge = "autograd.sphinxext.templates.CachingTemplateLoader"
html_favicon = "favicon.svg"
html_title = "autograd: back-propagation, run and drawn"
html_static_path = ["static"]
# Search snippets show formulas as text instead of their TeX source; code blocks and
# graphs that scroll sideways can be scrolled with the keyboard.
html_js_files = ["search-math.js", ("scroll-regions.js", {"defer": "defer"})]
html_last_updated_fmt = None
html_copy_source = False
html_theme_options = {
    "source_repository": "",
    "navigation_with_keys": True,
}

# Copy only the code of an example: no prompts, no output.
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_exclude = ".linenos, .gp, .go"

# The book (nox -s epub) and the PDF (nox -s pdf): figures become image files there.
epub_basename = "autograd"
epub_show_urls = "no"
# XeLaTeX with the DejaVu faces: the lessons' ∂, ·, → and ≈ in text and code.
latex_engine = "xelatex"
latex_use_xindy = False
# The lessons are the book's chapters (the home page's own text stays on the site).
latex_documents = [("index", "autograd.tex", html_title, author, "manual", True)]
latex_elements = {
    "fontpkg": r"""
\setmainfont{DejaVu Serif}
\setsansfont{DejaVu Sans}
\setmonofont{DejaVu Sans Mono}[Scale=0.9]
""",
    "printindex": "",
}
