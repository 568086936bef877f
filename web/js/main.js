// Start-up: build the pieces and connect them; no logic of its own.
//   view.js        what the page shows          controller.js  which engine answers
//   digit-list.js  the digits of a number, under the result (used by view.js)
//   inputs.js      pad, uploads, drop, paste, keys
//   tfjs-engine.js / python-engine.js            one interface: read(gray, width, height), recognize(...)
//   hooks.js       window.__digits for tests and the benchmark
//   history-start.js  history (recorder, panel) and sync, fed by the controller's answers
//   region-start.js   boxes over an uploaded picture and the user's own region (crop tool)
import { Controller } from "./controller.js";
import { startHistory } from "./history-start.js";
import { exposeHooks } from "./hooks.js";
import { Inputs } from "./inputs.js";
import { registerServiceWorker } from "./offline.js";
import { PythonEngine, START_TIMEOUT_MS } from "./python-engine.js";
import { startRegion } from "./region-start.js";
import { rulesFromManifest } from "./result.js";
import { TfjsEngine } from "./tfjs-engine.js";
import { View } from "./view.js";

const params = new URLSearchParams(location.search);
const siteUrl = new URL(".", document.baseURI).href;
const select = document.getElementById("engine");

async function loadJson(path) {
  const res = await fetch(new URL(path, siteUrl));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

const view = new View();
const python = new PythonEngine({
  script: document.querySelector('script[type="py"][name="engine"]'),
  onProgress: (pct, text) => view.setPythonProgress(pct, text),
  // ?pytimeout=ms shortens the start-up timeout (tests of a worker that never starts).
  timeoutMs: Number(params.get("pytimeout")) || START_TIMEOUT_MS,
});
const tfjs = new TfjsEngine({
  scripts: [...document.querySelectorAll("link[data-tfjs-script]")].map((link) => link.href),
  backend: params.get("backend"),
});
const controller = new Controller({ view, engines: { tfjs, python }, mode: () => select.value });
const hooks = exposeHooks({ controller, engines: { tfjs, python }, view });
new Inputs({ controller, view });
select.addEventListener("change", () => controller.recognize());
controller.recognize();

const configReady = loadJson("config.json");
configReady.catch(() => {}); // reported by main()
const manifestReady = configReady.then((config) => loadJson(config.manifest));
manifestReady.catch(() => {}); // reported by startTfjs()
hooks.region = startRegion({ controller, view }); // region read, and the user's own (uploads)
hooks.history = startHistory({ controller, pad: document.getElementById("pad"), configReady, manifestReady });

async function pythonReady(info) {
  hooks.timings.pythonReady = performance.now();
  const numpy = info.kernels === "numpy";
  view.setKernels(numpy ? "numpy" : "python");
  view.setEngineStatus("python", "ready", `Python ${info.python}: ready (${numpy ? "NumPy" : "pure-Python kernels"})`);
  controller.engineChanged("python", "ready");
  // The build vendored NumPy's wheel (and so pyscript.json asks for it), yet Python cannot import it.
  const config = await configReady.catch(() => null);
  if (config && config.numpy_wheel && info.numpy_unavailable) {
    view.showMessage(`NumPy could not load (${info.numpy_unavailable}; the browser console shows why); using pure-Python kernels.`, "info");
  }
}

function pythonFailed(err) {
  view.setEngineStatus("python", "error", `Python engine failed: ${err.message}`);
  controller.engineChanged("python", "error", err.message);
  // A start that only timed out may still finish: then the engine is simply late.
  if (err.timedOut) python.booted.then(pythonReady, () => {});
}

async function startTfjs(config) {
  view.setEngineStatus("tfjs", "loading", "TF.js: loading…");
  try {
    const manifest = await manifestReady;
    await tfjs.start({
      modelUrl: new URL(config.tfjs_model, siteUrl).href,
      // A site built before the row reader has none; the engine then reads digits without it.
      rowModelUrl: config.tfjs_rows_model ? new URL(config.tfjs_rows_model, siteUrl).href : null,
      rules: rulesFromManifest(manifest),
    });
    hooks.timings.tfjsReady = performance.now();
    view.setEngineStatus("tfjs", "ready", `TF.js: ready (${tfjs.backend})`);
    controller.engineChanged("tfjs", "ready");
  } catch (err) {
    view.setEngineStatus("tfjs", "error", `TF.js engine failed: ${err.message}`);
    controller.engineChanged("tfjs", "error", err.message);
  }
}

async function main() {
  // Python first: PyScript starts its worker by itself; this waits for it and reports how the start went.
  hooks.pythonReady = python.start({ kernels: params.get("pykernels") === "python" ? "python" : "auto" })
    .then(pythonReady, pythonFailed);
  // TF.js's 1.4 MB script runs on this thread: let PyScript create its worker first (or give up waiting
  // after a second), so Pyodide's download and compile, the longest part of the start, begin sooner.
  Promise.race([python.workerStarted, new Promise((resolve) => setTimeout(resolve, 1000))]).then(() => tfjs.loadRuntime());
  let config;
  try {
    config = await configReady;
  } catch (err) {
    view.showMessage(`The site is incomplete (config.json: ${err.message}).`);
    view.setEngineStatus("tfjs", "error", "TF.js: site config missing");
    controller.engineChanged("tfjs", "error", "site config missing");
    return;
  }
  hooks.config = config;
  if (!controller.ready("python")) view.setKernels(config.numpy_wheel ? "numpy" : "python");
  hooks.tfjsReady = startTfjs(config);
  // Precaching revalidates every file of the site; wait until both engines have loaded so it does not
  // compete with them on a first visit (and finds them in the HTTP cache).
  await Promise.allSettled([hooks.tfjsReady, hooks.pythonReady]);
  if (await registerServiceWorker({ skip: params.has("nosw") })) view.setOfflineReady();
}

main();
