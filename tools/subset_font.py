"""Make the font the drawings are laid out and shown with: a subset of DejaVu Sans.

Graphviz (the system's and the WebAssembly one) measures text with DejaVu Sans
metrics, the site declares this file with @font-face, and PNGs are rasterized
with it, so a label fits its box everywhere. The subset keeps Latin, Greek,
punctuation, arrows and mathematical operators. DejaVu Sans is read from
matplotlib's copy; the result is committed as autograd/fonts/DejaVuSans.ttf.

Usage: python tools/subset_font.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from fontTools import subset

RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A
    (0x0370, 0x03FF),  # Greek
    (0x2010, 0x205E),  # dashes, quotes, ellipsis, primes
    (0x2070, 0x209C),  # superscripts and subscripts
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators
]
SOURCE = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
TARGET = Path(__file__).resolve().parent.parent / "autograd" / "fonts" / "DejaVuSans.ttf"


def main() -> None:
    options = subset.Options()
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in RANGES for c in range(low, high + 1)])
    subsetter.subset(font)
    subset.save_font(font, str(TARGET), options)
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main()
