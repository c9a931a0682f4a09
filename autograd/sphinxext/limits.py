"""A page's time limit: ``autograd_timeout`` in ``conf.py``, or its own in its front matter.

The limit is the CPU time one example may use (see
`autograd.sphinxext.examples.WALL_FACTOR` for waiting). A page raises its own
with ``autograd-timeout: 120`` in its front matter; a limit that is not a
number of seconds, 0 or more, is an error at its line.
"""

from __future__ import annotations

import math
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

from autograd.sphinxext.worker import Failure

__all__ = ["check_time_limit", "page_time_limit", "seconds"]


def page_time_limit(app: Sphinx, docname: str) -> tuple[float, Failure | None]:
    """The page's time limit: its front matter's ``autograd-timeout``, else the config's.

    A limit that is not a finite number of seconds, 0 or more, is a failure
    at its line of the front matter (``conf.py``'s is checked when the build
    starts), and the page runs with the config's limit.
    """
    default = float(app.config.autograd_timeout)
    value = app.env.metadata.get(docname, {}).get("autograd-timeout")
    if value is None:
        return default, None
    limit = seconds(value)
    if limit is not None:
        return limit, None
    page = str(app.env.doc2path(docname))
    return default, Failure(
        page,
        _front_matter_line(page, "autograd-timeout"),
        f"autograd-timeout must be a number of seconds, 0 or more (0: no limit), not {value!r}",
    )


def seconds(value: object) -> float | None:
    """``value`` as a time limit in seconds, or None if it is not one.

    >>> from autograd.sphinxext.limits import seconds
    >>> [seconds(v) for v in (30, "2.5", 0, -1, ".nan", "inf", "soon", True)]
    [30.0, 2.5, 0.0, None, None, None, None, None]
    """
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _front_matter_line(page: str, key: str) -> int:
    try:
        lines = Path(page).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((n for n, line in enumerate(lines, 1) if line.startswith(f"{key}:")), 1)


def check_time_limit(app: Sphinx, config: Config) -> None:
    if seconds(config.autograd_timeout) is None:
        raise ConfigError(
            "autograd_timeout must be a number of seconds, 0 or more (0: no limit), "
            f"not {config.autograd_timeout!r}"
        )
