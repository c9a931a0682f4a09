// Boxes that scroll sideways can be reached and scrolled with the keyboard.
//
// A code block, a formula, a table or a graph wider than the column scrolls
// sideways; only then does it become a stop of the Tab key (tabindex="0"), so
// that the arrow keys scroll it. A graph's layout is already a named image
// (role="img"); the others become regions named "Code block N", "Formula N" or
// "Table N" (N counts the page's boxes of that kind, so that no two share a
// name). Which boxes scroll depends on the
// window's width and on what is shown, so each box is looked at again when
// its size changes and when a box is added (Run in browser redraws graphs).
// While such a box has the focus, the left and right arrow keys scroll it
// rather than turn the page (the theme's navigation_with_keys).
(() => {
  "use strict";
  // Each kind of box that the site's CSS (or the theme's) lets scroll, and its name.
  const KINDS = {
    "div.highlight pre": "Code block",
    "div.math": "Formula",
    ".table-wrapper": "Table",
    ".graph-layout": null, // a named image already
  };
  const SELECTOR = Object.keys(KINDS).join(", ");

  function scrolls(box) {
    return box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
  }

  function regionName(box) {
    const kind = Object.keys(KINDS).find((selector) => box.matches(selector));
    if (!kind || !KINDS[kind]) return null;
    const boxes = Array.from(document.querySelectorAll(kind));
    return `${KINDS[kind]} ${boxes.indexOf(box) + 1}`;
  }

  // Sphinx's page-turning listener is on the document: the key stops at the box, and the
  // browser still scrolls it.
  function keepArrows(event) {
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") event.stopPropagation();
  }

  function update(box) {
    const reachable = box.dataset.scrollRegion === "on";
    if (scrolls(box) === reachable) return;
    if (!reachable) {
      box.dataset.scrollRegion = "on";
      box.tabIndex = 0;
      box.addEventListener("keydown", keepArrows);
      const name = box.hasAttribute("role") ? null : regionName(box);
      if (name) {
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name);
        box.dataset.scrollRegionNamed = "";
      }
    } else {
      delete box.dataset.scrollRegion;
      box.removeAttribute("tabindex");
      box.removeEventListener("keydown", keepArrows);
      if ("scrollRegionNamed" in box.dataset) {
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegionNamed;
      }
    }
  }

  const resized = new ResizeObserver((entries) => entries.forEach((entry) => update(entry.target)));
  function watch(root) {
    const boxes = root.matches && root.matches(SELECTOR) ? [root] : [];
    if (root.querySelectorAll) boxes.push(...root.querySelectorAll(SELECTOR));
    boxes.forEach((box) => resized.observe(box)); // observing also reports the first size
  }

  function start() {
    watch(document);
    new MutationObserver((records) => {
      for (const record of records) record.addedNodes.forEach(watch);
    }).observe(document.body, { childList: true, subtree: true });
    // A web font or MathJax can change what overflows without changing a box's size.
    document.fonts.ready.then(() => document.querySelectorAll(SELECTOR).forEach(update));
    window.addEventListener("load", () => document.querySelectorAll(SELECTOR).forEach(update));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
