// Search results quote the text of each page around the words found. Formulas
// are MathML in the pages (autograd.sphinxext.mathml), whose text alone runs
// together ("dLdc" for a fraction); each keeps its TeX source as an annotation
// (\frac{dL}{dc}). This turns that TeX into plain text before the quote is
// taken, so a snippet reads "dL/dc" rather than "dLdc" or "\frac{dL}{dc}".
"use strict";

const SYMBOLS = {
  cdot: "·", times: "×", partial: "∂", sum: "Σ", to: "→", ge: "≥", le: "≤",
  approx: "≈", Delta: "Δ", infty: "∞", dots: "…", ldots: "…", sqrt: "√",
  pm: "±", lim: "lim", tanh: "tanh", ln: "ln", exp: "exp", max: "max",
  min: "min", log: "log",
};

function texToText(tex) {
  let text = tex.replace(/^\s*(\\\(|\\\[|\$\$?)/, "").replace(/(\\\)|\\\]|\$\$?)\s*$/, "");
  text = text.replace(/\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}/g, " ");
  for (let i = 0; i < 5; i += 1) {
    text = text.replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, "$1/$2");
  }
  text = text.replace(/\\operatorname\{([^{}]*)\}/g, "$1");
  text = text.replace(/\\([A-Za-z]+)/g, (match, name) => (name in SYMBOLS ? SYMBOLS[name] : " "));
  text = text.replace(/\\[,;:!\\ ]/g, " ").replace(/[{}]/g, "").replace(/&/g, " ");
  return text.replace(/\s+/g, " ").trim();
}

// The text of one formula: a <math> element (from its TeX annotation), or an
// element holding TeX (a formula MathML could not be made of).
function formulaText(element) {
  const tex = element.querySelector('annotation[encoding="application/x-tex"]');
  return texToText((tex || element).textContent);
}

function patchSearch() {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const original = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll("math, code.math, div.math > pre").forEach((element) => {
      element.replaceWith(page.createTextNode(formulaText(element)));
    });
    return original(page.documentElement.outerHTML, anchor);
  };
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", patchSearch);
  } else {
    patchSearch();
  }
}

if (typeof module !== "undefined") {
  module.exports = { formulaText, texToText };
}
