"""How long the site takes to build, against the same build that runs nothing.

Run it with `nox -s bench-docs`. Three builds of ``docs/`` into a temporary
folder, each timed as a whole ``sphinx-build`` process (wall clock, the
median of a few runs):

- full: a clean, strict build (``-E -W -n``) that runs every example;
- no-exec: the same build with ``-D autograd_execute=0``, which runs nothing;
  the peer the full build is measured against;
- edit: an incremental build after one lesson's source changed (its
  modification time moves forward; its text is left alone).

Printed: each median, full / no-exec, and edit / no-exec.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRICT = ["-c", "conf", "-b", "html", "-n", "-W", "--keep-going", "-q"]
EDITED = "lessons/03-value-and-forward-pass.md"


def sphinx(docs: Path, out: Path, *options: str) -> float:
    """Seconds one ``sphinx-build`` process takes; a failed build stops the benchmark."""
    command = [sys.executable, "-m", "sphinx", *STRICT, *options]
    command += ["-d", str(out / "doctrees"), str(docs), str(out / "html")]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"the build failed:\n{result.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"full": [], "no-exec": [], "edit": []}
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            out = Path(folder) / f"out{repeat}"
            timings["no-exec"].append(sphinx(docs, out / "no", "-E", "-D", "autograd_execute=0"))
            timings["full"].append(sphinx(docs, out / "full", "-E"))
            # An edit, as far as the build can tell: the lesson is newer than its last read.
            later = time.time() + 1
            os.utime(docs / EDITED, (later, later))
            timings["edit"].append(sphinx(docs, out / "full"))
    median = {name: statistics.median(values) for name, values in timings.items()}
    print(f"docs build, {os.cpu_count()} cores, median of {args.repeats} (seconds)")
    print(f"  full strict build, examples run   {median['full']:7.2f}")
    print(f"  same build, autograd_execute=0    {median['no-exec']:7.2f}")
    print(f"  rebuild after editing one lesson  {median['edit']:7.2f}")
    print(f"  full / no-exec                    {median['full'] / median['no-exec']:7.2f}x")
    print(f"  edit / no-exec                    {median['edit'] / median['no-exec']:7.2f}x")


if __name__ == "__main__":
    main()
