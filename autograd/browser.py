"""Running a page's examples for a reader, as the page's "Run in browser" does.

In the browser this module runs under Pyodide, in a Web Worker: the page sends
each example's code, `run` executes it in the page's one namespace the way a
doctest or an interactive session would (every expression statement shows its
value) and returns what it printed, an error's traceback included. `draw`
redraws a ``value-graph`` figure from the reader's objects. Both work the same
in CPython, which is how they are tested.

The browser's Python has the standard library, autograd and graphviz, and
nothing else (no numpy, no matplotlib). When the site is built,
`build_only_notes` finds the steps of a page that cannot run there: those
that import another package, and those that need a name that such a step
defines. The page shows those as the build ran them, each with one sentence
that says why, and `skip` keeps their names out of the reader's namespace.

>>> namespace = new_namespace()
>>> run("x = 2\\nx * 21", namespace)
'42\\n'
>>> draw("x", namespace)["error"]
"'x' is a int, not a graph node (it needs data, grad, _prev and _op)"
"""

from __future__ import annotations

import ast
import io
import symtable
import sys
import traceback
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout, suppress
from types import CodeType
from typing import Any, Literal, NamedTuple, cast

from autograd.drawing import describe_graph, draw_dot
from autograd.graph import MAX_NODES, require_node

__all__ = [
    "BROWSER_RECURSION_LIMIT",
    "EXAMPLE_FILENAME",
    "SHIPPED",
    "BuildOnly",
    "build_only_notes",
    "draw",
    "in_browser",
    "new_namespace",
    "run",
    "skip",
]

EXAMPLE_FILENAME = "<example>"
"""The file name that tracebacks give to the reader's code."""

SHIPPED = frozenset({"autograd", "graphviz"})
"""The packages that the site ships to the browser's Python (beside the standard library)."""

BROWSER_RECURSION_LIMIT = 300
"""Python's recursion limit while a reader's code runs in the browser (CPython's is 1000).

The browser's own stack is smaller than Python's default allows: a function
that recurses through a generator or an operator (so that Python calls
itself through C) overflows it after 400 to 600 levels, and that ends Python
for the whole page. Below this limit Python raises `RecursionError` first,
as it does where the site is built.
"""

# In a page's namespace: each name that an example did not define because it
# needs a package that the browser's Python does not have, with that package.
_MISSING = "__not_in_browser__"


def in_browser(module: str) -> bool:
    """Can the browser's Python import ``module``: is it in the standard library, or shipped?

    >>> in_browser("math"), in_browser("autograd.nn"), in_browser("numpy")
    (True, True, False)
    """
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or top in SHIPPED


def new_namespace() -> dict[str, Any]:
    """An empty namespace for a page, like the one its examples ran in during the build.

    >>> sorted(new_namespace())
    ['__builtins__', '__name__']
    """
    return {"__name__": "__page__", "__builtins__": __builtins__}


def run(code: str, namespace: dict[str, Any], *, show_values: bool = True) -> str:
    """Run ``code`` in ``namespace``; return what it printed, or the traceback it raised.

    With ``show_values``, the code runs as at a ``>>>`` prompt, or as a
    doctest: each top-level statement on its own, an expression statement
    showing its value, and an error stopping only its own statement. Without
    it, the code runs as a script would, and an error stops it. In the browser,
    Python's recursion limit is `BROWSER_RECURSION_LIMIT` meanwhile.

    >>> namespace = new_namespace()
    >>> run("1 + 1\\nprint('three')\\nNone", namespace)
    '2\\nthree\\n'
    >>> print(run("1 / 0\\n'after'", namespace))
    Traceback (most recent call last):
      File "<example>", line 1, in <module>
    ZeroDivisionError: division by zero
    'after'
    <BLANKLINE>
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
        previous_hook, previous_limit = sys.displayhook, sys.getrecursionlimit()
        sys.displayhook = _show
        if sys.platform == "emscripten":
            sys.setrecursionlimit(min(previous_limit, BROWSER_RECURSION_LIMIT))
        try:
            if show_values:
                for statement in tree.body:
                    # "single" mode: an expression statement's value goes to sys.displayhook.
                    module = ast.Interactive(body=[statement])
                    _execute(compile(module, EXAMPLE_FILENAME, "single"), tree, namespace)
            else:
                _execute(compile(tree, EXAMPLE_FILENAME, "exec"), tree, namespace)
        finally:
            sys.displayhook = previous_hook
            sys.setrecursionlimit(previous_limit)
    return printed.getvalue()


def _execute(code: CodeType, tree: ast.Module, namespace: dict[str, Any]) -> None:
    try:
        exec(code, namespace)
    except BaseException as error:  # the reader's code: show whatever it raised
        _print_traceback(error, namespace)
        _note_missing(error, tree, namespace)


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
        return top if top and not in_browser(top) else None
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
        print(f"({package} is not part of the Python that runs in this page.)")
    elif isinstance(error, NameError) and package is not None:
        print(
            f"({error.name} is not defined: the example that defines it needs {package}, "
            "which is not part of the Python that runs in this page.)"
        )


def skip(code: str, namespace: dict[str, Any], package: str) -> None:
    """Leave out an example of the page that needs ``package``: the names it defines are unset.

    A name that the example would have (re)defined is removed, so that no
    later code reads a value the page did not have at that point, and the
    error that using it raises says why.

    >>> namespace = new_namespace()
    >>> _ = run("xs = [1, 2]", namespace)
    >>> skip("import numpy as np\\nxs = np.arange(3)", namespace, "numpy")
    >>> print(run("len(xs)", namespace).splitlines()[-1].replace(", ", ",\\n"))
    (xs is not defined: the example that defines it needs numpy,
    which is not part of the Python that runs in this page.)
    """
    try:
        tree = ast.parse(code, EXAMPLE_FILENAME)
    except SyntaxError:
        return
    missing = namespace.setdefault(_MISSING, {})
    for name in _bound_names(tree):
        namespace.pop(name, None)
        missing[name] = package


# --- Which steps of a page run in the browser (decided when the site is built) ------


def _global_names(source: str) -> tuple[set[str], set[str]]:
    """The global names that ``source`` reads, and those it binds, in any scope of it."""
    table = symtable.symtable(source, EXAMPLE_FILENAME, "exec")
    reads: set[str] = set()
    binds: set[str] = set()
    for symbol in table.get_symbols():
        if symbol.is_referenced():
            reads.add(symbol.get_name())
        if symbol.is_assigned() or symbol.is_imported():
            binds.add(symbol.get_name())
    scopes = list(table.get_children())
    while scopes:  # functions, classes, lambdas and comprehensions, nested
        scope = scopes.pop()
        scopes += scope.get_children()
        for symbol in scope.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                reads.add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                binds.add(symbol.get_name())
    return reads, binds


def _statements(sources: Sequence[str]) -> list[ast.stmt]:
    """The top-level statements of the sources, in order (a source that does not parse has none)."""
    statements: list[ast.stmt] = []
    for source in sources:
        with suppress(SyntaxError):
            statements += ast.parse(source).body
    return statements


def _missing_import(statement: ast.stmt) -> str | None:
    """The first package that ``statement`` imports, anywhere in it, that the browser lacks."""
    for node in ast.walk(statement):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            if not in_browser(name):
                return name.split(".")[0]
    return None


def _target_names(target: ast.expr) -> set[str]:
    """The names that an assignment to ``target`` binds (``x``, ``(x, y)``, ``[x, *rest]``)."""
    return {
        node.id
        for node in ast.walk(target)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def _first_out_of_reach(
    statements: Sequence[ast.stmt], bound: set[str], unreachable: dict[str, str]
) -> str | None:
    """The first name that the statements read, as they run, while it is out of reach.

    ``bound`` holds the names that the step has bound so far, which are in
    reach again; the statements add theirs. A loop's target and a ``with``'s
    or an ``except``'s name are bound before the body that reads them runs.
    A function's body counts as read where it is defined.
    """

    def read(node: ast.AST | None) -> str | None:
        if node is None:
            return None
        reads, _ = _global_names(ast.unparse(node))
        return next((name for name in sorted(reads - bound) if name in unreachable), None)

    for statement in statements:
        name: str | None = None
        bodies: list[list[ast.stmt]] = []
        if isinstance(statement, ast.For | ast.AsyncFor):
            name = read(statement.iter)
            bound |= _target_names(statement.target)
            bodies = [statement.body, statement.orelse]
        elif isinstance(statement, ast.While | ast.If):
            name = read(statement.test)
            bodies = [statement.body, statement.orelse]
        elif isinstance(statement, ast.With | ast.AsyncWith):
            for item in statement.items:
                name = name or read(item.context_expr)
                if item.optional_vars is not None:
                    bound |= _target_names(item.optional_vars)
            bodies = [statement.body]
        elif isinstance(statement, ast.Try | ast.TryStar):
            bodies = [statement.body]
            for handler in statement.handlers:
                name = name or read(handler.type)
                if handler.name:
                    bound.add(handler.name)
                bodies.append(handler.body)
            bodies += [statement.orelse, statement.finalbody]
        else:
            name = read(statement)
            bound |= _global_names(ast.unparse(statement))[1]
        for body in bodies:
            name = name or _first_out_of_reach(body, bound, unreachable)
        if name is not None:
            return name
    return None


_NOTES = {
    ("doctest", False): (
        "This example uses {package}, which runs only when the site is built; "
        "its output above is from the build."
    ),
    ("doctest", True): (
        "This example needs {name} from an example above that uses {package}, which runs "
        "only when the site is built; its output above is from the build."
    ),
    ("script", False): (
        "This example uses {package}, which runs only when the site is built, not in your browser."
    ),
    ("script", True): (
        "This example needs {name} from an example above that uses {package}, which runs "
        "only when the site is built, not in your browser."
    ),
    ("value-graph", True): (
        "This graph needs {name} from an example above that uses {package}, which runs "
        "only when the site is built; the drawing is from the build."
    ),
}
LIVE_PLOT_NOTE = (
    "This plot is drawn with matplotlib, which runs only when the site is built; "
    "the plot is from the build."
)
"""What a ``live-plot`` figure says when the page runs: it always stays as built."""


class BuildOnly(NamedTuple):
    """A step of a page that the browser cannot run: the package it needs, and why, in words."""

    package: str
    note: str


def build_only_notes(steps: Sequence[tuple[str, Sequence[str]]]) -> list[BuildOnly | None]:
    """For each step of a page, in order: why it shows the build's output, or None if it runs.

    Each step is its kind (``doctest``, ``script``, ``value-graph`` or
    ``live-plot``) and its sources: the code of each of its examples, or
    a figure's expression. A step cannot run in the browser if it imports a
    package the browser lacks, or if it reads a name that such a step bound
    (and no step that runs bound again since); the names it binds are then
    out of reach in turn. A ``live-plot`` never runs.

    >>> notes = build_only_notes([
    ...     ("doctest", ["import numpy as np\\n", "xs = np.arange(3)\\n", "n = 2\\n"]),
    ...     ("doctest", ["n * 2\\n"]),
    ...     ("doctest", ["len(xs)\\n"]),
    ...     ("doctest", ["xs = [1, 2]\\n", "len(xs)\\n"]),
    ...     ("script", ["for n in xs:\\n    print(n * 2)\\n"]),
    ... ])
    >>> [note is None for note in notes]
    [False, False, False, True, True]
    >>> notes[0].package
    'numpy'
    >>> print(notes[0].note.replace("; ", ";\\n"))
    This example uses numpy, which runs only when the site is built;
    its output above is from the build.
    >>> print(notes[1].note.replace(", ", ",\\n"))
    This example needs n from an example above that uses numpy,
    which runs only when the site is built; its output above is from the build.
    """
    unreachable: dict[str, str] = {}  # each name out of reach, with the package it needs
    notes: list[BuildOnly | None] = []
    for kind, sources in steps:
        if kind == "live-plot":
            notes.append(BuildOnly("matplotlib", LIVE_PLOT_NOTE))
            continue
        if kind == "value-graph":
            reads, _ = _global_names("\n".join(sources))
            name = next((n for n in sorted(reads) if n in unreachable), None)
            if name is None:
                notes.append(None)
            else:
                package = unreachable[name]
                note = _NOTES[(kind, True)].format(name=name, package=package)
                notes.append(BuildOnly(package, note))
            continue
        bound: set[str] = set()  # bound by this step's statements so far
        reason: tuple[str, str | None] | None = None
        statements = _statements(sources)
        for statement in statements:
            missing = _missing_import(statement)
            if missing is not None:
                reason = (missing, None)
                break
            name = _first_out_of_reach([statement], bound, unreachable)
            if name is not None:
                reason = (unreachable[name], name)
                break
        if reason is None:
            for name in bound:
                unreachable.pop(name, None)
            notes.append(None)
            continue
        package, name = reason
        for statement in statements:
            for bound_name in _global_names(ast.unparse(statement))[1]:
                unreachable[bound_name] = package
        note = _NOTES[(kind, name is not None)].format(name=name, package=package)
        notes.append(BuildOnly(package, note))
    return notes


def draw(
    expression: str,
    namespace: dict[str, Any],
    rankdir: str = "LR",
    max_nodes: int = MAX_NODES,
    graph_id: str = "",
) -> dict[str, str]:
    """Draw the graph of ``expression``: ``{"svg", "description"}``, or ``{"error": ...}``.

    The SVG is the build's drawing of a ``value-graph`` figure, tooltips
    included, sized in CSS pixels as the build sizes it (`ValueGraph.sized_svg`). The
    description says the graph in words, as the page's own figures do for
    screen readers.

    >>> namespace = new_namespace()
    >>> _ = run("from autograd import Value\\ny = Value(2.0, label='y') * 3", namespace)
    >>> draw("y", namespace)["svg"].startswith('<svg width="')
    True
    >>> draw("y", namespace)["description"]
    'output = y * 3, where y = 2; output = 6. Gradients: output 0, y 0.'
    >>> draw("z", namespace)["error"]
    "NameError: name 'z' is not defined"
    """
    try:
        root = eval(compile(expression, EXAMPLE_FILENAME, "eval"), namespace)
    except Exception as error:
        return {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
    try:
        root = require_node(root, f"'{expression}'")
    except TypeError as error:
        return {"error": str(error)}
    try:
        direction = cast(Literal["LR", "TB"], rankdir)  # draw_dot checks it
        graph = draw_dot(root, rankdir=direction, max_nodes=max_nodes, graph_id=graph_id or "graph")
        description = describe_graph(root, max_nodes=max_nodes, gradients=True)
        svg, _ = graph.sized_svg()
        return {"svg": svg, "description": description}
    except Exception as error:
        return {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
