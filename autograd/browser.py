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

from autograd.drawing import draw_dot
from autograd.graph import MAX_NODES, GraphNode
from autograd.render import render_svg

__all__ = ["EXAMPLE_FILENAME", "draw", "new_namespace", "run"]

EXAMPLE_FILENAME = "<example>"
"""The file name that tracebacks give to the reader's code."""

# Packages a lesson may use that the in-browser Python does not ship.
_NOT_IN_BROWSER = {"matplotlib", "numpy"}
# In a page's namespace: each name that an example failed to define because it
# needed one of those packages, with that package.
_MISSING = "__not_in_browser__"


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
            _print_traceback(error, namespace)
            _note_missing(error, tree, namespace)
        finally:
            sys.displayhook = previous_hook
    return printed.getvalue()


def _show(value: object) -> None:
    if value is not None:
        print(repr(value))


def _bound_names(tree: ast.Module) -> set[str]:
    """The names that the top level of ``tree`` defines (assigns, imports, defs)."""
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in statement.names)
        else:
            names.update(
                node.id
                for node in ast.walk(statement)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
            )
    return names


def _missing_package(error: BaseException, namespace: dict[str, Any]) -> str | None:
    """The package whose absence caused ``error``, directly or by a name left undefined."""
    if isinstance(error, ModuleNotFoundError):
        top = (error.name or "").split(".")[0]
        return top if top in _NOT_IN_BROWSER else None
    if isinstance(error, NameError):
        package: str | None = namespace.get(_MISSING, {}).get(error.name)
        return package
    return None


def _note_missing(error: BaseException, tree: ast.Module, namespace: dict[str, Any]) -> None:
    """Remember the names an example left undefined because a package is missing.

    Then a later example that uses one of them says why it is not defined,
    rather than only that it is not.
    """
    package = _missing_package(error, namespace)
    if package is None:
        return
    missing = namespace.setdefault(_MISSING, {})
    for name in sorted(_bound_names(tree)):
        if name not in namespace:
            missing.setdefault(name, package)


def _print_traceback(error: BaseException, namespace: dict[str, Any]) -> None:
    frames = traceback.extract_tb(error.__traceback__)
    # Leave out this module's own frames: the reader's code starts at <example>.
    while frames and frames[0].filename != EXAMPLE_FILENAME:
        frames.pop(0)
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    print("".join(lines), end="")
    package = _missing_package(error, namespace)
    if isinstance(error, ModuleNotFoundError) and package is not None:
        print(
            f"({package} is not part of the Python that runs in this page; "
            "the figure it makes was drawn when the page was built.)"
        )
    elif isinstance(error, NameError) and package is not None:
        print(
            f"({error.name} is not defined: the example that defines it needs {package}, "
            "which is not part of the Python that runs in this page.)"
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
