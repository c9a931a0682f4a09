// Predict, then run: in a `pycon` block with the class `autograd-predict`, the
// code shows and its output lines wait behind a "Show the output" button, so
// that the reader commits to a guess first. Without this script the output
// simply shows.
"use strict";

// Pygments writes one line of HTML per line of the example, each line closing
// its own spans, so the block's HTML can be split on newlines. A line whose
// first token is a prompt (`>>> ` or `... `, class "gp") is code; every other
// line after the first prompt is output: printed text, a value, a traceback.
const PROMPT_LINE = /^(?:<span><\/span>)*<span class="gp">/;

// Wrap the output lines of `html` (the inner HTML of the block's <pre>) so that
// CSS can hide them, and mark where each run of output starts: CSS draws a "?"
// there while the output is hidden. The marker holds no text, so the copy
// button copies what it copied before. Returns the new HTML and how many lines
// it hid.
function markOutput(html) {
  const lines = html.split("\n");
  const rest = lines.pop(); // what follows the last newline: normally nothing
  const parts = [];
  let promptSeen = false;
  let inOutput = false;
  let hidden = 0;
  for (const line of lines) {
    const isPrompt = PROMPT_LINE.test(line);
    promptSeen = promptSeen || isPrompt;
    if (isPrompt || !promptSeen) {
      parts.push(`${line}\n`);
      inOutput = false;
      continue;
    }
    if (!inOutput) {
      parts.push('<span class="autograd-predict-blank" aria-hidden="true"></span>');
      inOutput = true;
    }
    parts.push(`<span class="autograd-predict-output">${line}\n</span>`);
    hidden += 1;
  }
  return { html: parts.join("") + rest, hidden };
}

function setUpPredict(block, index) {
  const pre = block.querySelector("pre");
  // Highlighted lines (`:emphasize-lines:`) span a newline: leave such a block alone.
  if (!pre || pre.querySelector(".hll")) return;
  const marked = markOutput(pre.innerHTML);
  if (marked.hidden === 0) return;
  pre.innerHTML = marked.html;
  // The copy button renames the <pre>; the box around it keeps this id.
  const box = pre.parentElement;
  box.id = box.id || `autograd-predict-${index + 1}`;

  const button = document.createElement("button");
  button.type = "button";
  button.className = "autograd-predict-toggle";
  button.setAttribute("aria-controls", box.id);
  function show(open) {
    block.classList.toggle("autograd-predict-hiding", !open);
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Hide the output" : "Show the output";
  }
  button.addEventListener("click", () => {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  block.append(button);
  show(false);
}

if (typeof document !== "undefined") {
  document.querySelectorAll("div.autograd-predict").forEach(setUpPredict);
}

if (typeof module !== "undefined") {
  module.exports = { markOutput };
}
