// The Web Worker behind "Run in browser": Python (Pyodide) and Graphviz (Viz.js),
// both served by the site itself, run here so that the page stays responsive and a
// runaway example can be stopped by ending the worker.
//
// Messages in:  {id, type: "load"} | {id, type: "reset"} | {id, type: "skip", code, package}
//               {id, type: "run", code, showValues} | {id, type: "draw", expression, rankdir, max_nodes, figure_id}
// Messages out: {type: "progress", text, fraction}
//               {id, ok: true, output?, svg?, error?} | {id, ok: false, error}

import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz/viz.js";

const base = new URL("./", import.meta.url);
let browser = null; // the Python module autograd.browser
let namespace = null; // the page's one namespace

function progress(text, fraction) {
  postMessage({ type: "progress", text, fraction });
}

async function fetchBytes(name) {
  const response = await fetch(new URL(name, base));
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

// Seconds from the start of loading until each part was ready.
const timings = {};
function timed(name, promise) {
  const started = performance.now();
  return promise.then((value) => {
    timings[name] = (performance.now() - started) / 1000;
    return value;
  });
}

async function load() {
  const started = performance.now();
  progress("Loading Python (WebAssembly)…", 0.1);
  const manifest = await (await fetch(new URL("autograd-run.json", base))).json();
  const [pyodide, viz, wheels] = await Promise.all([
    timed("python", loadPyodide({ indexURL: new URL("pyodide/", base).href })),
    timed("graphviz", vizInstance()),
    timed("wheels", Promise.all(manifest.wheels.map((name) => fetchBytes(`wheels/${name}`)))),
  ]);
  // autograd.render draws with this under Pyodide.
  globalThis.autogradViz = viz;
  progress("Installing autograd…", 0.8);
  for (const bytes of wheels) pyodide.unpackArchive(bytes, "wheel");
  pyodide.runPython("import importlib; importlib.invalidate_caches()");
  browser = pyodide.pyimport("autograd.browser");
  namespace = browser.new_namespace();
  timings.total = (performance.now() - started) / 1000;
  progress("Python is ready.", 1);
}

function handle(message) {
  switch (message.type) {
    case "reset":
      namespace.destroy();
      namespace = browser.new_namespace();
      return {};
    case "skip":
      // An example of the page that needs a package this Python lacks.
      browser.skip(message.code, namespace, message.package);
      return {};
    case "run": {
      // Like the build: a ">>>" example shows its values, other code runs as a script.
      const run = browser.run.callKwargs(message.code, namespace, {
        show_values: message.showValues,
      });
      return { output: run };
    }
    case "draw": {
      // What the figure leaves out, autograd.browser.draw's own defaults fill in.
      const options = {
        rankdir: message.rankdir,
        max_nodes: message.max_nodes,
        graph_id: message.figure_id,
      };
      const given = Object.fromEntries(
        Object.entries(options).filter(([, value]) => value !== undefined && value !== ""),
      );
      const result = browser.draw.callKwargs(message.expression, namespace, given);
      const out = result.toJs({ dict_converter: Object.fromEntries });
      result.destroy();
      return out;
    }
    default:
      throw new Error(`unknown message ${message.type}`);
  }
}

let loading = null;
onmessage = async (event) => {
  const message = event.data;
  try {
    if (message.type === "load") {
      loading ??= load();
      await loading;
      postMessage({ id: message.id, ok: true, timings });
      return;
    }
    await loading;
    postMessage({ id: message.id, ok: true, ...handle(message) });
  } catch (error) {
    postMessage({ id: message.id, ok: false, error: String(error && error.message ? error.message : error) });
  }
};
