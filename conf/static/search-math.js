// Search results quote the text of each page around the words found. Formulas
// are stored in the pages as TeX for MathJax (\(c\), \frac{a}{b}); this turns
// them into plain text before the quote is taken, so a snippet reads "dL/dc"
// rather than "\(\frac{dL}{dc}\)".
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

function patchSearch() {
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const original = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".math").forEach((element) => {
      element.textContent = texToText(element.textContent);
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
  module.exports = { texToText };
}
