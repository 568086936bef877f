// Python engine worker: Pyodide (from this site's vendor/pyodide/) running the `pymodel` package.
// A plain module worker rather than PyScript's <script type="py" worker>: it needs no SharedArrayBuffer,
// so it works without COOP/COEP headers (GitHub Pages cannot send them), it loads nothing from a CDN,
// and the page's strict CSP stays free of blob:/eval allowances. Loading Python here never blocks drawing.
import { loadPyodide } from "../vendor/pyodide/pyodide.mjs";

const HOME = "/home/pyodide/site";
const SITE_URL = new URL("../", import.meta.url).href;
let pyodide = null;
let api = null; // Python callables: recognize(gray, w, h) -> JSON, predict28(img) -> JSON

const progress = (pct, text) => postMessage({ type: "progress", pct, text });

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${new URL(url).pathname} could not be loaded (HTTP ${res.status})`);
  return new Uint8Array(await res.arrayBuffer());
}

const driver = (backend) => `
import json, sys, time
sys.path.insert(0, ${JSON.stringify(HOME)})
from pymodel import load_model, WeightsError

model = load_model(${JSON.stringify(HOME + "/pymodel/weights")}, backend=${JSON.stringify(backend)})

def _floats(js_array):
    # A JS typed array arrives as a JsProxy; to_py() copies it into a memoryview of doubles/floats.
    return list(js_array.to_py())

def recognize(gray, width, height):
    t0 = time.perf_counter()
    p = model.recognize_gray(_floats(gray), int(width), int(height))
    out = p.as_dict()
    out["image28"] = p.image28
    out["py_ms"] = (time.perf_counter() - t0) * 1000.0
    return json.dumps(out)

def predict28(image28):
    return json.dumps(model.predict28(_floats(image28)))

def info():
    return json.dumps({"backend": model.backend, "unsure_threshold": model.unsure_threshold})
`;

// Start the runtime the moment the worker exists, in parallel with the page fetching its config and TF.js.
const runtime = loadPyodide({ indexURL: new URL("vendor/pyodide/", SITE_URL).href });
runtime.catch(() => {}); // reported by init(), not as an unhandled rejection
progress(5, "starting Python runtime");

async function init({ config }) {
  const siteUrl = SITE_URL;
  // pymodel's files are small: fetch them all now, in parallel with the runtime still loading.
  const files = config.pymodel_files;
  let fetched = 0;
  const downloads = Promise.all(
    files.map(async (rel) => {
      const bytes = await fetchBytes(new URL(rel, siteUrl).href);
      fetched++;
      return [rel, bytes];
    }),
  );
  downloads.catch(() => {}); // awaited below
  pyodide = await runtime;
  progress(60, "Python runtime started");
  let numpyError = null;
  if (config.numpy_wheel && config.backend !== "python") {
    progress(65, "loading NumPy");
    try {
      // The wheel sits next to pyodide-lock.json, so loadPackage resolves it locally and checks its sha256.
      await pyodide.loadPackage("numpy", { messageCallback: () => {}, errorCallback: (m) => { numpyError = m; } });
    } catch (err) {
      numpyError = String(err);
    }
  }
  progress(80, `loading pymodel (${fetched}/${files.length} files)`);
  for (const [rel, bytes] of await downloads) {
    const dest = `${HOME}/${rel.replace(/^py\//, "")}`;
    pyodide.FS.mkdirTree(dest.slice(0, dest.lastIndexOf("/")));
    pyodide.FS.writeFile(dest, bytes);
  }
  progress(96, "checking weights");
  try {
    await pyodide.runPythonAsync(driver(config.backend === "python" ? "python" : "auto"));
  } catch (err) {
    // WeightsError's message is the useful part; drop Pyodide's Python traceback.
    const text = String(err && err.message ? err.message : err);
    const lines = text.trim().split("\n");
    const last = lines[lines.length - 1].replace(/^pymodel\.weights\.WeightsError: |^WeightsError: /, "");
    // Paths inside Pyodide's virtual filesystem mean nothing to the reader: keep just the file name.
    throw new Error(last.split(`${HOME}/pymodel/weights/`).join(""));
  }
  api = {
    recognize: pyodide.globals.get("recognize"),
    predict28: pyodide.globals.get("predict28"),
  };
  const info = JSON.parse(pyodide.globals.get("info")());
  return { ...info, numpyError, pythonVersion: pyodide.runPython("import sys; sys.version.split()[0]") };
}

function run(msg) {
  switch (msg.type) {
    case "recognize":
      return JSON.parse(api.recognize(msg.gray, msg.width, msg.height));
    case "predict28":
      return JSON.parse(api.predict28(msg.image28));
    case "bench": {
      // Time the forward pass inside the worker (no messaging), N times on one input.
      const times = [];
      for (let i = 0; i < msg.n; i++) {
        const t0 = performance.now();
        api.predict28(msg.image28);
        times.push(performance.now() - t0);
      }
      return times;
    }
    default:
      throw new Error(`unknown request ${msg.type}`);
  }
}

// Requests are handled one at a time, in order, which is what a single Python interpreter can do anyway.
let chain = Promise.resolve();
self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "init") {
    chain = chain.then(async () => {
      try {
        postMessage({ type: "ready", ...(await init(msg)) });
      } catch (err) {
        postMessage({ type: "error", message: String(err && err.message ? err.message : err) });
      }
    });
    return;
  }
  chain = chain.then(() => {
    try {
      if (!api) throw new Error("the Python engine is not ready");
      postMessage({ id: msg.id, ok: true, result: run(msg) });
    } catch (err) {
      postMessage({ id: msg.id, ok: false, error: String(err && err.message ? err.message : err) });
    }
  });
};
