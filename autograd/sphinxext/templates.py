"""Sphinx's HTML templates, compiled once and kept in the doctree folder.

Every ``sphinx-build`` process compiles the theme's Jinja templates to
Python before it writes its first page: a fifth of a second for furo, paid
again by a rebuild that writes one page. `CachingTemplateLoader` is Sphinx's
own loader with Jinja's bytecode cache switched on. Jinja compiles a
template afresh when its source changes; the cache folder is named by the
versions of Jinja and Sphinx and the Jinja extensions in use, so an upgrade
never runs code compiled by the version before. Use it with, in ``conf.py``::

    template_bridge = "autograd.sphinxext.templates.CachingTemplateLoader"
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import sphinx
from jinja2 import FileSystemBytecodeCache
from sphinx.jinja2glue import BuiltinTemplateLoader

if TYPE_CHECKING:
    from sphinx.builders import Builder
    from sphinx.theming import Theme

__all__ = ["CachingTemplateLoader"]


class CachingTemplateLoader(BuiltinTemplateLoader):
    """Sphinx's template loader, with compiled templates kept in ``doctrees/jinja``.

    >>> import jinja2
    >>> issubclass(CachingTemplateLoader, jinja2.BaseLoader)
    True
    """

    def init(
        self,
        builder: Builder,
        theme: Theme | None = None,
        dirs: list[str] | None = None,
    ) -> None:
        """Set up Sphinx's loader, then give its Jinja environment a bytecode cache."""
        super().init(builder, theme, dirs)
        compiler = [jinja2.__version__, sphinx.__version__, *sorted(self.environment.extensions)]
        name = hashlib.sha256(" ".join(compiler).encode()).hexdigest()[:16]
        folder = Path(builder.doctreedir) / "jinja" / name
        folder.mkdir(parents=True, exist_ok=True)
        self.environment.bytecode_cache = FileSystemBytecodeCache(str(folder))
