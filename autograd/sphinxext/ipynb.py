"""A page's steps as a Jupyter notebook, with the outputs the build produced.

Prose becomes Markdown cells, each example's code a code cell with the output
the page shows, each figure the code that draws it with the drawing (SVG) as
its output; a ``backward-steps`` figure becomes a Markdown cell listing its
steps, with its last frame as an image.
"""

from __future__ import annotations

import base64
import doctest
from typing import Any

from autograd.sphinxext.outline import (
    DoctestStep,
    FigureStep,
    ProseStep,
    ScriptStep,
    Step,
    is_expression,
)

__all__ = ["to_notebook"]


def _cells_of_doctest(step: DoctestStep) -> list[list[doctest.Example]]:
    """Split a doctest block after each example that shows output: one cell each."""
    groups: list[list[doctest.Example]] = [[]]
    for example in step.examples:
        groups[-1].append(example)
        if example.want or example.exc_msg is not None:
            groups.append([])
    return [group for group in groups if group]


Json = dict[str, Any]


def _lines(text: str) -> list[str]:
    """Text as the notebook format stores it: a list of lines that keep their newlines."""
    return text.splitlines(keepends=True)


def _doctest_outputs(example: doctest.Example, count: int) -> list[Json]:
    if example.exc_msg is not None:
        name, _, message = example.exc_msg.strip().partition(":")
        return [
            {
                "output_type": "error",
                "ename": name.strip(),
                "evalue": message.strip(),
                "traceback": example.want.rstrip("\n").splitlines(),
            }
        ]
    if not example.want:
        return []
    if is_expression(example.source):
        return [
            {
                "output_type": "execute_result",
                "data": {"text/plain": _lines(example.want.rstrip("\n"))},
                "metadata": {},
                "execution_count": count,
            }
        ]
    return [{"output_type": "stream", "name": "stdout", "text": _lines(example.want)}]


def _drawing(svg: str, text: str) -> Json:
    return {
        "output_type": "display_data",
        "data": {"image/svg+xml": _lines(svg), "text/plain": [text]},
        "metadata": {},
    }


def _backward_steps_markdown(step: FigureStep) -> tuple[str, Json]:
    """A ``backward-steps`` figure as Markdown: its steps in words, its last frame as an image.

    The image is a cell attachment (base64, as notebook front ends read it).
    """
    name = f"{step.figure_id}.svg"
    text = f"**`{step.expression}.backward()`, step by step**"
    if step.caption:
        text += f" ({step.caption})"
    text += "\n\n" + "\n".join(
        f"{number}. {caption}" for number, caption in enumerate(step.frames, start=1)
    )
    if not step.svg:
        return text, {}
    text += f"\n\n![After the last step]({'attachment:' + name})"
    data = base64.b64encode(step.svg.encode()).decode()
    return text, {name: {"image/svg+xml": data}}


def to_notebook(steps: list[Step], title: str) -> dict[str, Any]:
    """A notebook (nbformat 4.5, as JSON data) of the steps, with the outputs the build produced.

    The tests check every notebook of the site against the notebook schema
    (``nbformat.validate``); the build itself does not import nbformat.

    >>> from autograd.sphinxext.ipynb import to_notebook
    >>> from autograd.sphinxext.outline import ProseStep, ScriptStep
    >>> notebook = to_notebook([ProseStep("# Title"), ScriptStep("x = 1\\n")], "Title")
    >>> [cell["cell_type"] for cell in notebook["cells"]]
    ['markdown', 'code']
    """
    cells: list[Json] = []
    count = 0

    def markdown_cell(text: str, attachments: Json | None = None) -> None:
        cell: Json = {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}
        if attachments:
            cell["attachments"] = attachments
        cells.append(cell)

    def code_cell(source: str, outputs: list[Json], tags: list[str] | None = None) -> None:
        nonlocal count
        count += 1
        cells.append(
            {
                "cell_type": "code",
                "execution_count": count,
                "metadata": {"tags": tags} if tags else {},
                "outputs": outputs,
                "source": _lines(source.rstrip("\n")),
            }
        )

    for step in steps:
        if isinstance(step, ProseStep):
            markdown_cell(step.markdown)
        elif isinstance(step, ScriptStep):
            code_cell(step.code, [])
        elif isinstance(step, DoctestStep):
            for group in _cells_of_doctest(step):
                last = group[-1]
                # "raises-exception": notebook runners go on past a cell that must fail.
                tags = ["raises-exception"] if last.exc_msg is not None else None
                source = "".join(example.source for example in group)
                code_cell(source, _doctest_outputs(last, count + 1), tags)
        elif step.kind == "backward-steps":
            markdown_cell(*_backward_steps_markdown(step))
        else:
            if step.kind == "value-graph":
                rankdir = step.options.get("rankdir", "LR")
                code = (
                    "from autograd import draw_dot\n\n"
                    f'draw_dot({step.expression}, rankdir="{rankdir}")'
                )
                code_cell(code, [_drawing(step.svg, "<graph>")])
            else:
                code_cell(step.expression, [_drawing(step.svg, "<figure>")])
            if step.caption:
                markdown_cell(f"*{step.caption}*")
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{number}"  # fixed ids: the same page gives the same bytes
    notebook: Json = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "title": title,
        },
        "cells": cells,
    }
    return notebook
