"""Running a page's examples for a reader, as the page's "Run in browser" does.

In the browser this module runs under Pyodide, in a Web Worker: the page sends
each example's code, `run` executes it in the page's one namespace the way a
doctest or an interactive session would (every expression statement shows its
value) and returns what it printed, an error's traceback included. `draw`
redraws a ``value-graph`` figure from the reader's objects. Both work the same
in CPython, which is how they are tested.

>>> namespace = new_namespace()
>>> run("x = 2\\nx * 21", namespace)
'42\\n'
>>> draw("x", namespace)["error"]
"'x' is a int, not a graph node (it needs data, grad, _prev and _op)"
"""

from __future__ import annotations

import ast
import io
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, Literal, cast

from autograd.drawing import MAX_NODES, GraphNode, draw_dot
from autograd.render import render_svg

__all__ = ["EXAMPLE_FILENAME", "draw", "new_namespace", "run"]

EXAMPLE_FILENAME = "<example>"
"""The file name that tracebacks give to the reader's code."""

# Packages a lesson may use that the in-browser Python does not ship.
_NOT_IN_BROWSER = {"matplotlib", "numpy"}


def new_namespace() -> dict[str, Any]:
    """An empty namespace for a page, like the one its examples ran in during the build.

    >>> sorted(new_namespace())
    ['__builtins__', '__name__']
    """
    return {"__name__": "__page__", "__builtins__": __builtins__}


def run(code: str, namespace: dict[str, Any], *, show_values: bool = True) -> str:
    """Run ``code`` in ``namespace``; return what it printed, or the traceback it raised.

    With ``show_values``, each top-level expression statement shows its value,
    as at a ``>>>`` prompt; without it, the code runs as a script would.

    >>> namespace = new_namespace()
    >>> run("1 + 1\\nprint('three')\\nNone", namespace)
    '2\\nthree\\n'
    >>> run("1 + 1\\nprint('three')", namespace, show_values=False)
    'three\\n'
    >>> print(run("1 / 0", namespace))
    Traceback (most recent call last):
      File "<example>", line 1, in <module>
    ZeroDivisionError: division by zero
    <BLANKLINE>
    """
    printed = io.StringIO()
    with redirect_stdout(printed), redirect_stderr(printed):
        try:
            tree = ast.parse(code, EXAMPLE_FILENAME)
        except SyntaxError:
            traceback.print_exc(limit=0)
            return printed.getvalue()
        previous_hook = sys.displayhook
        sys.displayhook = _show
        try:
            if show_values:
                for statement in tree.body:
                    # "single" mode: an expression statement's value goes to sys.displayhook.
                    module = ast.Interactive(body=[statement])
                    exec(compile(module, EXAMPLE_FILENAME, "single"), namespace)
            else:
                exec(compile(tree, EXAMPLE_FILENAME, "exec"), namespace)
        except BaseException as error:  # the reader's code: show whatever it raised
            _print_traceback(error)
        finally:
            sys.displayhook = previous_hook
    return printed.getvalue()


def _show(value: object) -> None:
    if value is not None:
        print(repr(value))


def _print_traceback(error: BaseException) -> None:
    frames = traceback.extract_tb(error.__traceback__)
    # Leave out this module's own frames: the reader's code starts at <example>.
    while frames and frames[0].filename != EXAMPLE_FILENAME:
        frames.pop(0)
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    print("".join(lines), end="")
    if isinstance(error, ModuleNotFoundError) and error.name in _NOT_IN_BROWSER:
        print(
            f"({error.name} is not part of the Python that runs in this page; "
            "the figure it makes was drawn when the page was built.)"
        )


def draw(
    expression: str,
    namespace: dict[str, Any],
    rankdir: str = "LR",
    max_nodes: int = MAX_NODES,
    graph_id: str = "",
) -> dict[str, str]:
    """Draw the graph of ``expression`` as SVG: ``{"svg": ...}``, or ``{"error": ...}``.

    >>> namespace = new_namespace()
    >>> _ = run("from autograd import Value\\ny = Value(2.0, label='y') * 3", namespace)
    >>> draw("y", namespace)["svg"].startswith("<svg")
    True
    >>> draw("z", namespace)["error"]
    "NameError: name 'z' is not defined"
    """
    try:
        root = eval(compile(expression, EXAMPLE_FILENAME, "eval"), namespace)
    except Exception as error:
        return {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
    if not isinstance(root, GraphNode):
        return {
            "error": f"'{expression}' is a {type(root).__name__}, not a graph node "
            "(it needs data, grad, _prev and _op)"
        }
    try:
        direction = cast(Literal["LR", "TB"], rankdir)  # draw_dot checks it
        graph = draw_dot(root, rankdir=direction, max_nodes=max_nodes, graph_id=graph_id or "graph")
        return {"svg": render_svg(graph.source)}
    except Exception as error:
        return {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
