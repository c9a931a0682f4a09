"""How long the site takes to build, against the same build that runs nothing.

Run it with `nox -s bench-docs`. Three builds of ``docs/`` into a temporary
folder, with the options of `nox -s docs` (strict, ``-j auto``), each timed
as a whole ``sphinx-build`` process (the median of a few runs):

- full: a strict build of every page (``-E -W -n``) that runs every example,
  into an emptied HTML folder. Like ``nox -s docs``, these builds keep their
  doctree folder, which holds the time each page took last time (a parallel
  build reads the pages in an order that keeps its readers equally busy)
  and the compiled templates. The very first one, with no such record yet,
  is a single run printed on its own ("first full build");
- no-exec: the same build with ``-D autograd_execute=0``, which runs nothing,
  with its own doctree folder kept the same way: the peer the full build is
  measured against;
- edit: an incremental build after one lesson's source changed (its
  modification time moves forward; its text is left alone).

Printed: each median, full / no-exec, and edit / no-exec, in wall-clock
time and in CPU time (the build and its page processes together), which a
machine busy with other work disturbs less.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRICT = ["-c", "conf", "-b", "html", "-n", "-W", "--keep-going", "-q", "-j", "auto"]
EDITED = "lessons/03-value-and-forward-pass.md"


def sphinx(docs: Path, out: Path, *options: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``sphinx-build``; a failed build stops the benchmark."""
    command = [sys.executable, "-m", "sphinx", *STRICT, *options]
    command += ["-d", str(out / "doctrees"), str(docs), str(out / "html")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"the build failed:\n{result.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    timings: dict[str, list[tuple[float, float]]] = {
        "first": [],
        "full": [],
        "no-exec": [],
        "edit": [],
    }
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory() as folder:
        full, no_exec = Path(folder) / "full", Path(folder) / "no-exec"
        sphinx(docs, no_exec, "-E", "-D", "autograd_execute=0")  # its first build, untimed
        timings["first"].append(sphinx(docs, full, "-E"))
        for _ in range(args.repeats):
            for out in (full, no_exec):  # as nox -s docs: no page left over, doctrees kept
                shutil.rmtree(out / "html", ignore_errors=True)
            timings["no-exec"].append(sphinx(docs, no_exec, "-E", "-D", "autograd_execute=0"))
            timings["full"].append(sphinx(docs, full, "-E"))
            # An edit, as far as the build can tell: the lesson is newer than its last read.
            later = time.time() + 1
            os.utime(docs / EDITED, (later, later))
            timings["edit"].append(sphinx(docs, full))
    wall = {name: statistics.median(w for w, _ in values) for name, values in timings.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in timings.items()}
    print(f"docs build, {os.cpu_count()} cores, median of {args.repeats}   wall s   cpu s")
    for name, title in (
        ("first", "first full build (one run)"),
        ("full", "full strict build, examples run"),
        ("no-exec", "same build, autograd_execute=0"),
        ("edit", "rebuild after editing one lesson"),
    ):
        print(f"  {title:34s}{wall[name]:7.2f}  {cpu[name]:7.2f}")
    for name, title in (("full", "full / no-exec"), ("edit", "edit / no-exec")):
        print(
            f"  {title:34s}{wall[name] / wall['no-exec']:6.2f}x {cpu[name] / cpu['no-exec']:6.2f}x"
        )


if __name__ == "__main__":
    main()
