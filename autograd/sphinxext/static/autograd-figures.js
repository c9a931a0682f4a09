// The backward pass, step by step: one frame at a time with previous/next
// buttons, the arrow keys and a step counter. Without this script every
// frame stays visible, in order.
"use strict";

function setUpBackwardSteps(figure) {
  const frames = Array.from(figure.querySelectorAll(".backward-step"));
  if (frames.length < 2) {
    return;
  }
  const controls = document.createElement("div");
  controls.className = "backward-steps-controls";
  const previous = document.createElement("button");
  previous.type = "button";
  previous.className = "backward-steps-previous";
  previous.textContent = "← Previous";
  const counter = document.createElement("span");
  counter.className = "backward-steps-counter";
  counter.setAttribute("aria-live", "polite");
  const next = document.createElement("button");
  next.type = "button";
  next.className = "backward-steps-next";
  next.textContent = "Next →";
  controls.append(previous, counter, next);
  figure.insertBefore(controls, figure.firstChild);

  let current = 0;
  function show(index) {
    current = Math.max(0, Math.min(frames.length - 1, index));
    frames.forEach((frame, i) => frame.classList.toggle("current", i === current));
    counter.textContent = `Step ${current + 1} of ${frames.length}`;
    previous.disabled = current === 0;
    next.disabled = current === frames.length - 1;
  }
  previous.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  figure.tabIndex = 0;
  figure.setAttribute("aria-roledescription", "step-by-step figure");
  figure.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      show(current + (event.key === "ArrowLeft" ? -1 : 1));
      event.preventDefault();
      event.stopPropagation();
    }
  });
  figure.classList.add("stepping");
  show(0);
}

document.querySelectorAll("figure.backward-steps").forEach(setUpBackwardSteps);
