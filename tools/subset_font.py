"""Make the font the drawings are laid out and shown with: a subset of DejaVu Sans.

Graphviz (the system's and the WebAssembly one) measures text with DejaVu Sans
metrics, the site declares this file with @font-face, and PNGs are rasterized
with it, so a label fits its box everywhere. The subset keeps Latin, Greek,
punctuation, arrows and mathematical operators. DejaVu Sans is read from
matplotlib's copy; the result is committed as autograd/fonts/DejaVuSans.ttf.

Browsers get the same font as WOFF2 (Brotli-compressed, about a third of the
size), autograd/fonts/DejaVuSans.woff2, made from that TTF and committed too;
the rasteriser (resvg) and Graphviz read the TTF. ``--woff2`` makes only the
WOFF2, from the committed TTF. Both need fontTools with Brotli
(``pip install "fonttools[woff]"``); a test checks that the two hold the same
glyphs.

The site's formulas (MathML, see autograd.sphinxext.mathml) are drawn in a
subset of Latin Modern Math, the face of TeX's formulas: ``--math`` makes it
as autograd/fonts/autograd-math.woff2 from Debian's fonts-lmodern (``apt-get
install fonts-lmodern``; another copy with ``--math PATH``). It keeps ASCII,
Latin-1, Greek, primes, arrows, the mathematical operators and the italic
letters MathML draws single-letter names with, and every size of the
delimiters and large operators that the font's MATH table lists for them. As
the font's licence (GUST Font License, autograd/fonts/LICENSE-autograd-math.txt)
asks of a derived font, the subset has a name of its own, "autograd Math".

Usage: python tools/subset_font.py [--woff2 | --math [PATH]]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import woff2

RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A
    (0x0370, 0x03FF),  # Greek
    (0x2010, 0x205E),  # dashes, quotes, ellipsis, primes
    (0x2070, 0x209C),  # superscripts and subscripts
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators
]
TARGET = Path(__file__).resolve().parent.parent / "autograd" / "fonts" / "DejaVuSans.ttf"
WEB_TARGET = TARGET.with_suffix(".woff2")
MATH_SOURCE = "/usr/share/texmf/fonts/opentype/public/lm-math/latinmodern-math.otf"
MATH_TARGET = TARGET.parent / "autograd-math.woff2"
MATH_RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement: ±, ·, ×
    (0x0391, 0x03C9),  # Greek
    (0x2016, 0x2016),  # ‖ (a norm)
    (0x2032, 0x2037),  # primes
    (0x2061, 0x2064),  # invisible operators (function application, times)
    (0x2190, 0x2199),  # arrows
    (0x210E, 0x210E),  # italic h
    (0x2200, 0x22FF),  # mathematical operators
    (0x1D434, 0x1D467),  # italic A-Z, a-z
    (0x1D6E2, 0x1D71B),  # italic Greek
]
MATH_NAME = "autograd Math"


def make_subset() -> None:
    import matplotlib

    source = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    options = subset.Options()
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in RANGES for c in range(low, high + 1)])
    subsetter.subset(font)
    subset.save_font(font, str(TARGET), options)
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


def make_woff2() -> None:
    woff2.compress(str(TARGET), str(WEB_TARGET))
    print(f"{WEB_TARGET}: {WEB_TARGET.stat().st_size} bytes")


def make_math_subset(source: str) -> None:
    options = subset.Options()
    options.layout_features = []  # no ssty etc.: browsers do not apply them to MathML
    options.flavor = "woff2"
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["FFTM"]
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in MATH_RANGES for c in range(low, high + 1)])
    subsetter.subset(font)  # keeps the MATH table's variants of the glyphs kept
    names = font["name"]
    version = names.getDebugName(5) or ""
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 16, 17, 18, 21, 22):
            names.removeNames(nameID=record.nameID)
    names.setName(MATH_NAME, 1, 3, 1, 0x409)
    names.setName("Regular", 2, 3, 1, 0x409)
    names.setName(f"{MATH_NAME}: subset of Latin Modern Math {version}", 3, 3, 1, 0x409)
    names.setName(MATH_NAME, 4, 3, 1, 0x409)
    names.setName(
        f"{version}; a subset of Latin Modern Math made by tools/subset_font.py", 5, 3, 1, 0x409
    )
    names.setName(MATH_NAME.replace(" ", "") + "-Regular", 6, 3, 1, 0x409)
    subset.save_font(font, str(MATH_TARGET), options)
    print(f"{MATH_TARGET}: {MATH_TARGET.stat().st_size} bytes")


def main(arguments: list[str]) -> None:
    if arguments[:1] == ["--math"]:
        make_math_subset(arguments[1] if len(arguments) > 1 else MATH_SOURCE)
        return
    if "--woff2" not in arguments:
        make_subset()
    make_woff2()


if __name__ == "__main__":
    main(sys.argv[1:])
