// "Run in browser": the page's examples become editable and run in the reader's
// browser, in order and in one namespace, as they ran when the site was built.
//
// Python (Pyodide) runs in a Web Worker (autograd-worker.mjs) that starts only
// when the reader asks for it. window.autogradRun(code) runs Python source in
// that interpreter and resolves to the text it printed, errors included.
(() => {
  "use strict";
  const script = document.currentScript;
  const staticBase = new URL("./", script.src);
  const bar = script.closest(".autograd-downloads");

  // --- The interpreter in its worker -------------------------------------------

  class Stopped extends Error {}
  let worker = null;
  let ready = null;
  let nextId = 1;
  const pending = new Map();
  let onProgress = () => {};

  function failAll(error) {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  }

  function startWorker() {
    worker = new Worker(new URL("autograd-worker.mjs", staticBase), { type: "module" });
    worker.onmessage = (event) => {
      const message = event.data;
      if (message.type === "progress") {
        onProgress(message.text, message.fraction);
        return;
      }
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (!waiting) return;
      if (message.ok) waiting.resolve(message);
      else waiting.reject(new Error(message.error));
    };
    worker.onerror = (event) => {
      failAll(new Error(event.message || "the Python worker failed to start"));
      stop();
    };
  }

  function call(message) {
    if (!worker) startWorker();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  function load() {
    if (!ready) {
      ready = call({ type: "load" });
      ready.catch(() => {
        ready = null;
      });
    }
    return ready;
  }

  // Ends the worker and whatever it is running; the next call starts a fresh one.
  function stop() {
    if (worker) worker.terminate();
    worker = null;
    ready = null;
    failAll(new Stopped("Stopped."));
  }

  window.autogradRun = async (code) => {
    await load();
    const result = await call({ type: "run", code: String(code), showValues: false });
    return result.output.replace(/\s+$/, "");
  };

  // --- The page's controls -------------------------------------------------------

  const data = bar && bar.querySelector(".autograd-run-steps");
  if (!data) return;
  const start = bar.querySelector(".autograd-run-start");
  const status = bar.querySelector(".autograd-run-status");
  const progress = bar.querySelector(".autograd-run-progress");
  // Each step names its element by a class (autograd-step-<n>) that the build gave it.
  const steps = JSON.parse(data.textContent).map((step) => ({
    ...step,
    element: step.element ? document.querySelector(`.${CSS.escape(step.element)}`) : null,
  }));
  if (steps.some((step) => !step.element)) return; // a step without its element: no button
  const stopButton = document.createElement("button");
  stopButton.type = "button";
  stopButton.className = "autograd-run-stop";
  stopButton.textContent = "Stop";
  stopButton.hidden = true;
  start.after(stopButton);
  start.hidden = false;

  let validUpTo = -1; // the steps up to this one ran, as they read now, in the namespace
  let busy = false;
  let editable = false;

  function setState(state, text) {
    bar.dataset.state = state;
    if (text !== undefined) status.textContent = text;
    busy = state === "loading" || state === "running";
    stopButton.hidden = !busy;
    start.disabled = busy;
    for (const step of steps) if (step.editor) step.editor.readOnly = busy;
  }

  function show(step, text, isError) {
    step.output.textContent = text;
    step.output.hidden = !text;
    step.output.classList.toggle("autograd-error", Boolean(isError));
    step.box.classList.remove("autograd-stale");
  }

  function invalidate(index) {
    validUpTo = Math.min(validUpTo, index - 1);
    for (const step of steps.slice(index)) step.box.classList.add("autograd-stale");
  }

  function makeEditable() {
    if (editable) return;
    editable = true;
    steps.forEach((step, index) => {
      const box = document.createElement("div");
      box.className = "autograd-live";
      step.box = box;
      step.output = document.createElement("pre");
      step.output.className = "autograd-output";
      step.output.hidden = true;
      if (step.from_build) {
        // It cannot run here: the page keeps what the build showed, and says why.
        box.classList.add("autograd-from-build");
        const note = document.createElement("p");
        note.className = "autograd-note";
        note.textContent = step.from_build;
        box.append(note, step.output);
        if (step.kind === "doctest" || step.kind === "script") step.element.after(box);
        else step.element.append(box);
      } else if (step.kind === "doctest" || step.kind === "script") {
        const editor = document.createElement("textarea");
        editor.className = "autograd-editor";
        editor.spellcheck = false;
        editor.value = step.code.replace(/\n$/, "");
        editor.rows = Math.max(1, editor.value.split("\n").length);
        editor.setAttribute("aria-label", `Example ${index + 1}: edit, then run with Ctrl+Enter`);
        editor.addEventListener("input", () => {
          step.code = editor.value + "\n";
          editor.rows = Math.max(1, editor.value.split("\n").length);
          invalidate(index);
        });
        editor.addEventListener("keydown", (event) => {
          if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
            event.preventDefault();
            runFrom(index);
          }
        });
        const run = document.createElement("button");
        run.type = "button";
        run.className = "autograd-run-example";
        run.textContent = "Run";
        run.title = "Run this example and the ones after it (Ctrl+Enter)";
        run.addEventListener("click", () => runFrom(index));
        step.editor = editor;
        box.append(editor, run, step.output);
        step.element.style.display = "none"; // the theme's CSS outranks `hidden`
        step.element.after(box);
      } else {
        box.append(step.output);
        step.element.append(box);
      }
    });
  }

  function drawInto(step, svg, description) {
    const drawing = step.element.querySelector(".value-graph-drawing");
    // The SVG comes sized in pixels, as the build sizes it. The reader's graph
    // has one layout, shown on every screen (scrolling if wide).
    drawing.classList.remove("has-narrow");
    const layout = document.createElement("div");
    layout.className = "graph-layout graph-wide";
    // Like the build's layouts: an image, named by what the graph now says.
    layout.setAttribute("role", "img");
    layout.setAttribute("aria-label", description);
    layout.innerHTML = svg;
    drawing.replaceChildren(layout);
  }

  async function runStep(step) {
    if (step.from_build) {
      // Its names are left unset, so that an edited example that uses one says why.
      if (step.code) await call({ type: "skip", code: step.code, package: step.needs });
      show(step, "");
    } else if (step.kind === "doctest" || step.kind === "script") {
      const showValues = step.kind === "doctest";
      const { output } = await call({ type: "run", code: step.code, showValues });
      show(step, output, /^Traceback \(most recent call last\)|^\s*File "<example>"/m.test(output));
    } else if (step.kind === "value-graph") {
      const { expression, rankdir, max_nodes, figure_id } = step;
      const result = await call({ type: "draw", expression, rankdir, max_nodes, figure_id });
      if (result.svg) {
        drawInto(step, result.svg, result.description);
        show(step, "");
      } else {
        show(step, `This graph cannot be drawn: ${result.error}`, true);
      }
    }
  }

  // Runs the steps from the first one that is not up to date through the end of the page.
  async function runFrom(index) {
    if (busy) return;
    const started = performance.now();
    let first = validUpTo + 1;
    try {
      if (!ready) {
        setState("loading", "Loading Python…");
        progress.hidden = false;
        progress.removeAttribute("value"); // moving, until the worker reports
        loadingLabel = "Loading Python…";
        const ticking = setInterval(showElapsed, 250, started);
        const { timings } = await load().finally(() => clearInterval(ticking));
        progress.hidden = true;
        validUpTo = -1;
        first = 0;
        // How long loading took, in seconds, and each of its parts (read by the site's checks).
        window.autogradTimings = { loadSeconds: (performance.now() - started) / 1000, ...timings };
      }
      makeEditable();
      start.textContent = "Run all again";
      setState("running", "Running the examples…");
      if (index < first) {
        await call({ type: "reset" });
        first = 0;
      }
      for (let k = first; k < steps.length; k++) {
        await runStep(steps[k]);
        validUpTo = k;
        if (window.autogradTimings && !window.autogradTimings.firstRunSeconds) {
          window.autogradTimings.firstRunSeconds = (performance.now() - started) / 1000;
        }
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      setState("ready", `Ran ${steps.length - first} steps in ${seconds} s. Edit any example and run it again.`);
    } catch (error) {
      progress.hidden = true;
      if (error instanceof Stopped) {
        validUpTo = -1;
        if (editable) invalidate(0);
        setState("stopped", "Stopped. Python starts afresh when you run an example again.");
      } else {
        setState("failed", `Python could not run: ${error.message}`);
      }
    }
  }

  let loadingLabel = "";
  function showElapsed(started) {
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    status.textContent = `${loadingLabel} ${seconds} s`;
  }
  onProgress = (text, fraction) => {
    loadingLabel = text;
    status.textContent = text;
    progress.value = fraction;
  };
  start.addEventListener("click", () => runFrom(0));
  stopButton.addEventListener("click", stop);
  bar.dataset.state = "idle";
})();
