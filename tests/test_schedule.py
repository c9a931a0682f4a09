"""The order of pages for a parallel read: balanced chunks from the last build's times."""

from __future__ import annotations

import itertools
import os
import random
import sys
import textwrap
from pathlib import Path

import pytest

from autograd.sphinxext.schedule import RECORD, balance, load_seconds, save_seconds


def chunk_times(order: list[str], seconds: dict[str, float], sizes: list[int]) -> list[float]:
    starts = itertools.accumulate([0, *sizes])
    bounds = list(zip(starts, sizes, strict=False))
    return [sum(seconds[page] for page in order[start : start + size]) for start, size in bounds]


def test_two_slow_pages_next_to_each_other_go_to_different_chunks() -> None:
    seconds = {"a": 3.0, "b": 3.0, "c": 0.1, "d": 0.1, "e": 0.1, "f": 0.1}
    order = sorted(seconds)
    balance(order, seconds, [3, 3], workers=2)
    assert sorted(order) == sorted(seconds)
    assert chunk_times(order, seconds, [3, 3]) == pytest.approx([3.2, 3.2])


def test_chunks_after_the_first_workers_get_the_quickest_pages() -> None:
    seconds = {"api": 1.5, "l1": 0.5, "l2": 1.6, "l3": 0.05, "l4": 0.3, "l5": 0.09, "l6": 0.2}
    order = sorted(seconds)
    balance(order, seconds, [3, 3, 1], workers=2)
    assert order[-1] == "l3"  # the lone last chunk waits for a free worker
    first, second, _ = chunk_times(order, seconds, [3, 3, 1])
    assert abs(first - second) <= 0.5


@pytest.mark.parametrize("seed", range(200))
def test_no_chunk_takes_much_more_than_the_best_split_could(seed: int) -> None:
    """Within 1.5 times the lower bound; in sorted order, one seed in ten is not."""
    rng = random.Random(seed)
    pages = [f"p{i:02d}" for i in range(rng.randint(4, 30))]
    seconds = {page: rng.expovariate(2.0) for page in pages}
    workers = rng.choice([2, 3, 4])
    size = max(1, len(pages) // workers)
    sizes = [min(size, len(pages) - start) for start in range(0, len(pages), size)]
    order = list(pages)
    balance(order, seconds, sizes, workers=workers)
    assert sorted(order) == pages
    slowest = max(chunk_times(order, seconds, sizes)[:workers])
    assert slowest <= 1.5 * max(sum(seconds.values()) / workers, max(seconds.values()))


def test_pages_without_a_record_count_as_the_average_one() -> None:
    # The average is 2 s: both new pages outweigh "b", and share a chunk against "a" + "b".
    # Counted as 0 s, or as very slow, they would be split between the chunks.
    order = ["a", "b", "new1", "new2"]
    balance(order, {"a": 3.0, "b": 1.0}, [2, 2], workers=2)
    assert order == ["a", "b", "new1", "new2"]
    order = ["new1", "a", "new2", "b"]
    balance(order, {"a": 3.0, "b": 1.0}, [2, 2], workers=2)
    assert order == ["a", "b", "new1", "new2"]


def test_without_any_record_the_order_stays() -> None:
    order = ["c", "a", "b", "d"]
    balance(order, {}, [2, 2], workers=2)
    assert order == ["c", "a", "b", "d"]


def test_more_workers_than_chunks_is_fine() -> None:
    order = ["a", "b", "c"]
    balance(order, {"a": 1.0, "b": 5.0, "c": 1.0}, [2, 1], workers=4)
    assert sorted(order) == ["a", "b", "c"] and order[:2].count("b") == 1


def test_chunk_sizes_must_hold_every_page() -> None:
    with pytest.raises(ValueError, match="do not hold 3 pages"):
        balance(["a", "b", "c"], {"a": 1.0}, [2, 2], workers=2)


def test_the_record_keeps_pages_not_run_and_survives_damage(tmp_path: Path) -> None:
    assert load_seconds(tmp_path) == {}
    save_seconds(tmp_path, {"a": 1.0, "b": 2.0})
    save_seconds(tmp_path, {"b": 3.0})
    assert load_seconds(tmp_path) == {"a": 1.0, "b": 3.0}
    (tmp_path / RECORD).write_text('{"a": "slow", "b": -1, "c": 0.5, "d": NaN}')
    assert load_seconds(tmp_path) == {"c": 0.5}
    (tmp_path / RECORD).write_text("not json")
    assert load_seconds(tmp_path) == {}
    assert list(tmp_path.glob("*.tmp")) == []


SLOW_PAGE = """\
# {name}

```python
import os, time
with open({log!r}, "a") as log:
    log.write(f"{name} {{os.getppid()}}\\n")
end = time.process_time() + 0.4
while time.process_time() < end:
    pass
```
"""


@pytest.mark.slow
def test_a_parallel_build_spreads_the_slow_pages_it_timed_last_time(tmp_path: Path) -> None:
    """Sorted, the two slow pages share a reader; after one build they no longer do."""
    import subprocess

    source = tmp_path / "src"
    source.mkdir()
    log = tmp_path / "readers.log"
    (source / "conf.py").write_text('extensions = ["myst_parser", "autograd.sphinxext"]\n')
    names = ["a", "b", "c", "d", "e"]
    (source / "index.md").write_text("# Index\n\n```{toctree}\n" + "\n".join(names) + "\n```\n")
    for name in names:
        text = SLOW_PAGE if name in "ab" else "# {name}\n\n```pycon\n>>> 1 + 1\n2\n```\n"
        (source / f"{name}.md").write_text(textwrap.dedent(text).format(name=name, log=str(log)))
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-q", "-W", "-j", "2"]
    command += [str(source), str(tmp_path / "out")]

    def readers() -> dict[str, str]:
        log.unlink(missing_ok=True)
        result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        assert result.returncode == 0, result.stderr
        return dict(line.split() for line in log.read_text().splitlines())

    first = readers()
    assert first["a"] == first["b"]  # six pages, chunks of three: a, b, c together
    recorded = load_seconds(tmp_path / "out" / ".doctrees")
    assert set(recorded) == {"index", *names}
    assert recorded["a"] > 0.3 and recorded["b"] > 0.3
    second = readers()
    assert second["a"] != second["b"]
