"""A page's steps as a Python script that prints what the page shows.

The code of every example in order; expressions the page shows a value for are
wrapped in ``print``, so the script runs with plain Python and prints what the
page shows. Prose and figures are comments.
"""

from __future__ import annotations

import ast
import doctest
import re

from autograd.sphinxext.outline import (
    DoctestStep,
    ProseStep,
    ScriptStep,
    Step,
    is_expression,
)

__all__ = ["script_source"]


_PLAIN_NUMBER = re.compile(r"-?(\d[\d_]*\.?\d*(e[-+]?\d+)?|inf|nan)|True|False")


def _print_statement(example: doctest.Example) -> str:
    """An example as a statement that prints what the page shows for it."""
    source = example.source.rstrip("\n")
    if example.exc_msg is not None:
        body = "\n".join("    " + line for line in source.splitlines())
        return (
            f"try:\n{body}\nexcept Exception as error:  # the page shows this error\n"
            '    print(*traceback.format_exception_only(error), end="")'
        )
    if example.want and is_expression(source):
        statement = ast.parse(source).body[0]
        assert isinstance(statement, ast.Expr)  # is_expression checked it
        expression = ast.get_source_segment(source, statement) or source
        if isinstance(statement.value, ast.Tuple) and not expression.startswith("("):
            expression = f"({expression})"
        # print() shows str(); the page shows repr(), the same only for plain numbers.
        if not _PLAIN_NUMBER.fullmatch(example.want.strip()):
            expression = f"repr({expression})"
        return f"print({expression})"
    return source


def _comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def script_source(steps: list[Step], source_name: str) -> str:
    r"""A Python script of the steps that prints what the page shows.

    >>> from autograd.sphinxext.outline import ProseStep
    >>> from autograd.sphinxext.pyscript import script_source
    >>> print(script_source([ProseStep("Hello.")], "page.md"))
    # The examples of page.md, as a script: run it with Python.
    <BLANKLINE>
    # Hello.
    <BLANKLINE>
    """
    parts = [f"# The examples of {source_name}, as a script: run it with Python."]
    needs_traceback = False
    for step in steps:
        if isinstance(step, ProseStep):
            parts.append(_comment(step.markdown))
        elif isinstance(step, ScriptStep):
            parts.append(step.code.rstrip("\n"))
        elif isinstance(step, DoctestStep):
            needs_traceback |= any(example.exc_msg is not None for example in step.examples)
            parts.append("\n".join(_print_statement(example) for example in step.examples))
        elif step.kind == "backward-steps":
            listing = "\n".join(f"{n}. {text}" for n, text in enumerate(step.frames, start=1))
            caption = f" {step.caption}" if step.caption else ""
            parts.append(
                _comment(
                    f"Figure (`{step.expression}.backward()`, step by step):{caption}\n{listing}"
                )
                + "\n# (see the page, or the notebook, for the drawings)"
            )
        else:
            what = "graph" if step.kind == "value-graph" else "plot"
            caption = f": {step.caption}" if step.caption else ""
            parts.append(
                _comment(f"Figure ({what} of `{step.expression}`){caption}")
                + "\n# (see the page, or the notebook, for the drawing)"
            )
    if needs_traceback:
        parts.insert(1, "import traceback")
    return "\n\n".join(parts) + "\n"
