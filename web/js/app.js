// The page: drawing pad + uploads -> engines (TF.js on the main thread, Python in a worker) -> result.
import { DrawingPad } from "./pad.js";
import { blobToGray, InputError, reduceToMaxSide } from "./imageinput.js";
import { preprocessGray, rgbaToGray } from "./preprocess.js";
import { TfjsEngine } from "./tfjs-engine.js";
import { PythonEngine } from "./python-engine.js";

const $ = (id) => document.getElementById(id);
const root = document.documentElement;
const params = new URLSearchParams(location.search);
const siteUrl = new URL(".", document.baseURI).href;

const ENGINE_NAMES = { tfjs: "TensorFlow.js", python: "Python" };

const state = {
  input: null, // {gray, width, height, source: "pad" | "upload"}
  seq: 0, // increments per recognition; stale answers are dropped
  threshold: 0.5,
  tfjs: null,
  python: null,
  tfjsError: null,
  pythonError: null,
  pythonProgress: 0,
  lastResult: null,
};

// ---------- status chips ----------

function setEngineStatus(engine, status, text) {
  root.dataset[engine] = status;
  const chip = $(`status-${engine}`);
  chip.dataset.state = status;
  chip.querySelector(".chip-text").textContent = text;
  chip.title = text;
}

function setKernels(kind) {
  root.dataset.kernels = kind;
  $("kernels-label").textContent = kind === "numpy" ? "NumPy kernels" : "pure-Python kernels";
}

// ---------- result rendering ----------

function buildBars() {
  const list = $("bars");
  for (let d = 0; d < 10; d++) {
    const li = document.createElement("li");
    li.innerHTML = `<span class="label">${d}</span><span class="track"><span class="fill"></span></span><span class="pct">0%</span>`;
    list.append(li);
  }
}

function pct(p) {
  return `${(100 * p).toFixed(p >= 0.995 || p < 0.0005 ? 0 : 1)}%`;
}

function renderBars(probs) {
  const items = $("bars").children;
  const top = probs ? probs.indexOf(Math.max(...probs)) : -1;
  for (let d = 0; d < 10; d++) {
    const p = probs ? probs[d] : 0;
    items[d].querySelector(".fill").style.width = `${(100 * p).toFixed(2)}%`;
    items[d].querySelector(".pct").textContent = probs ? pct(p) : "–";
    items[d].classList.toggle("best", d === top);
    items[d].setAttribute("aria-label", `${d}: ${probs ? pct(p) : "no result"}`);
  }
}

function renderSeen(image28) {
  const ctx = $("seen").getContext("2d");
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = image28 ? Math.round(255 * Math.min(1, Math.max(0, image28[i]))) : 0;
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function engineLabel(r) {
  const name = ENGINE_NAMES[r.engine];
  if (!name || !state.tfjs && r.engine === "tfjs") return "";
  const detail = r.engine === "tfjs" ? state.tfjs.backend : root.dataset.kernels === "numpy" ? "NumPy" : "pure Python";
  return `${name} (${detail}) · ${r.ms.toFixed(r.ms < 10 ? 1 : 0)} ms`;
}

function showResult(r, note = "") {
  state.lastResult = r;
  const el = $("prediction");
  el.dataset.engine = r.engine;
  el.dataset.unsure = String(Boolean(!r.empty && r.unsure));
  if (r.empty) {
    el.dataset.digit = "";
    el.dataset.confidence = "";
    el.dataset.state = "empty";
    $("big-digit").textContent = "?";
    $("verdict").textContent = "Draw a digit";
    $("confidence").textContent = state.input && state.input.source === "upload" ? "No digit found in this image." : "";
  } else {
    el.dataset.digit = String(r.digit);
    el.dataset.confidence = r.confidence.toFixed(4);
    el.dataset.state = r.unsure ? "unsure" : "sure";
    $("big-digit").textContent = r.unsure ? `${r.digit}?` : String(r.digit);
    $("verdict").textContent = r.unsure ? `Unsure — maybe ${r.digit}` : `It's a ${r.digit}`;
    $("confidence").textContent = `Confidence ${pct(r.confidence)}`;
  }
  $("engine-line").textContent = engineLabel(r) + (note ? ` — ${note}` : "");
  renderBars(r.empty ? null : r.probs);
  renderSeen(r.image28);
}

function showCompare(a, b) {
  const box = $("compare");
  if (!b) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  if (b.error) {
    box.dataset.agree = "";
    box.textContent = `Python: ${b.error}`;
    return;
  }
  const agree = a.empty === b.empty && a.digit === b.digit;
  let maxDiff = 0;
  if (!a.empty && !b.empty) for (let i = 0; i < 10; i++) maxDiff = Math.max(maxDiff, Math.abs(a.probs[i] - b.probs[i]));
  box.dataset.agree = String(agree);
  box.dataset.maxDiff = String(maxDiff);
  const fmt = (r) => (r.empty ? "empty" : `${r.digit} (${pct(r.confidence)})`);
  box.innerHTML = "";
  const line = document.createElement("p");
  line.innerHTML = `${agree ? "✓ Engines agree" : "⚠ Engines disagree"}: TF.js <strong></strong> · Python <strong></strong>`;
  const [s1, s2] = line.querySelectorAll("strong");
  s1.textContent = `${fmt(a)}, ${a.ms.toFixed(1)} ms`;
  s2.textContent = `${fmt(b)}, ${b.ms.toFixed(0)} ms`;
  box.append(line);
  if (!a.empty && !b.empty) {
    const small = document.createElement("p");
    small.className = "engine-line";
    small.textContent = `Largest probability difference: ${maxDiff.toExponential(1)}`;
    box.append(small);
  }
}

function showMessage(text, kind = "error") {
  const m = $("message");
  m.textContent = text;
  m.dataset.kind = kind;
  m.hidden = !text;
}

// ---------- engines ----------

function argmax(probs) {
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
  return best;
}

function runTfjs(gray, width, height) {
  const t0 = performance.now();
  const pre = preprocessGray(gray, width, height);
  if (pre.empty) return { engine: "tfjs", empty: true, digit: null, confidence: 0, probs: new Array(10).fill(0), image28: null, ms: performance.now() - t0 };
  const probs = Array.from(state.tfjs.predict28(pre.image28));
  const digit = argmax(probs);
  return {
    engine: "tfjs", empty: false, digit, confidence: probs[digit], probs, image28: pre.image28,
    unsure: probs[digit] < state.threshold, ms: performance.now() - t0,
  };
}

async function runPython(gray, width, height) {
  const t0 = performance.now();
  const r = await state.python.recognize(gray, width, height);
  return { ...r, engine: "python", ms: performance.now() - t0 };
}

const pythonReady = () => root.dataset.python === "ready";

async function recognize() {
  const input = state.input;
  const seq = ++state.seq;
  if (!input) {
    showResult({ engine: $("engine").value === "python" && pythonReady() ? "python" : "tfjs", empty: true, probs: [], image28: null, ms: 0 });
    showCompare(null, null);
    return;
  }
  const mode = $("engine").value;
  try {
    if ((mode === "python" || !state.tfjs) && pythonReady()) {
      // Python was chosen, or TF.js is not (yet) available: Python answers.
      const r = await runPython(input.gray, input.width, input.height);
      if (seq === state.seq) {
        showResult(r, mode === "python" ? "" : state.tfjsError ? "TF.js unavailable" : "TF.js still loading");
        showCompare(null, null);
      }
      return;
    }
    if (!state.tfjs) {
      state.waitingNotice = true;
      showMessage(state.tfjsError ? `TensorFlow.js failed: ${state.tfjsError}` : "TensorFlow.js is still loading…", state.tfjsError ? "error" : "info");
      return;
    }
    const a = runTfjs(input.gray, input.width, input.height);
    let note = "";
    if (mode !== "tfjs" && !pythonReady()) {
      note = state.pythonError ? "Python engine unavailable" : `Python still loading (${state.pythonProgress}%)`;
    }
    if (seq === state.seq) showResult(a, note);
    if (mode === "compare" && pythonReady()) {
      let b;
      try {
        b = await runPython(input.gray, input.width, input.height);
      } catch (err) {
        b = { error: err.message };
      }
      if (seq === state.seq) showCompare(a, b);
    } else if (seq === state.seq) {
      showCompare(a, mode === "compare" && state.pythonError ? { error: state.pythonError } : null);
    }
  } catch (err) {
    if (seq === state.seq) showMessage(`Recognition failed: ${err.message}`);
  }
}

// ---------- inputs ----------

let pad;

function captureInput() {
  if (pad.isEmpty) {
    state.input = null;
    return;
  }
  const { data, width, height } = pad.imageData();
  state.input = { ...reduceToMaxSide(rgbaToGray(data, width, height), width, height), source: "pad" };
}

function hidePreview() {
  const img = $("upload-preview");
  if (!img.hidden) {
    img.hidden = true;
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.removeAttribute("src");
  }
}

let uploadSeq = 0;
async function handleBlob(blob, name) {
  const mine = ++uploadSeq;
  showMessage("");
  try {
    const res = await blobToGray(blob, name);
    if (mine !== uploadSeq) return URL.revokeObjectURL(res.previewUrl);
    pad.strokes = [];
    pad.redraw();
    hidePreview();
    const img = $("upload-preview");
    img.src = res.previewUrl;
    img.alt = `Uploaded image: ${name}`;
    img.hidden = false;
    $("drop-zone").classList.add("has-ink");
    state.input = { gray: res.gray, width: res.width, height: res.height, source: "upload" };
    await recognize();
  } catch (err) {
    if (mine !== uploadSeq) return;
    showMessage(err instanceof InputError ? err.message : `That image could not be used: ${err.message}`);
  }
}

function bindInputs() {
  const upload = $("upload");
  upload.addEventListener("change", () => {
    const file = upload.files && upload.files[0];
    if (file) handleBlob(file, file.name);
    upload.value = ""; // choosing the same file again still fires "change"
  });

  const zone = $("drop-zone");
  let depth = 0;
  zone.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; zone.classList.remove("dragging"); } });
  zone.addEventListener("dragover", (e) => e.preventDefault());
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove("dragging");
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) handleBlob(file, file.name);
    else showMessage("Drop an image file (PNG, JPEG, GIF, WebP or BMP).");
  });
  // A drop that misses the pad must not navigate away from the page.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());

  document.addEventListener("paste", (e) => {
    const dt = e.clipboardData;
    if (!dt) return;
    // Only file items are read: pasted text (however huge) is never loaded into memory here.
    const file = [...dt.files].find((f) => f.type.startsWith("image/")) || dt.files[0];
    e.preventDefault();
    if (file) handleBlob(file, file.name || "pasted image");
    else showMessage("The clipboard holds no image. Copy an image (not text or a link) and paste again.");
  });

  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLSelectElement || e.target instanceof HTMLInputElement) return;
    if (e.key === "Escape" || e.key === "Delete") {
      e.preventDefault();
      clearAll();
    } else if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z") {
      e.preventDefault();
      undo();
    }
  });
  $("clear").addEventListener("click", clearAll);
  $("undo").addEventListener("click", undo);
  $("engine").addEventListener("change", () => recognize());
}

function clearAll() {
  hidePreview();
  showMessage("");
  pad.clear();
}

function undo() {
  if (!$("upload-preview").hidden) return clearAll();
  if (pad.undo()) onStrokeEnd(); // the pad changed: recognize what is left

}

function onPadChange() {
  if (!pad.isEmpty) hidePreview();
  $("drop-zone").classList.toggle("has-ink", !pad.isEmpty || !$("upload-preview").hidden);
  if (pad.isEmpty && $("upload-preview").hidden) {
    state.input = null;
    recognize();
  }
}

function onStrokeEnd() {
  showMessage("");
  captureInput();
  recognize();
}

// ---------- start-up ----------

async function loadJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function startTfjs(config, scripts) {
  setEngineStatus("tfjs", "loading", "TF.js: loading…");
  try {
    await scripts;
    const engine = new TfjsEngine({ modelUrl: new URL(config.tfjs_model, siteUrl).href, backend: params.get("backend") });
    await engine.init();
    state.tfjs = engine;
    window.__digits.timings.tfjsReady = performance.now(); // ms since navigation start
    setEngineStatus("tfjs", "ready", `TF.js: ready (${engine.backend})`);
    if (state.waitingNotice) {
      state.waitingNotice = false;
      showMessage("");
    }
    if (state.input) recognize();
  } catch (err) {
    state.tfjsError = err.message;
    setEngineStatus("tfjs", "error", `TF.js engine failed: ${err.message}`);
    throw err;
  }
}

function bootPython() {
  // The worker is created before anything else so Pyodide's 10 MB download and compile start at once.
  setEngineStatus("python", "loading", "Python: loading…");
  const bar = $("python-progress");
  const engine = new PythonEngine({
    onProgress: (p, text) => {
      state.pythonProgress = p;
      bar.value = p;
      setEngineStatus("python", "loading", `Python: ${text} (${p}%)`);
    },
  });
  state.python = engine;
  engine.start();
  return engine;
}

async function startPython(engine, config) {
  // ?pykernels=python forces pure-Python kernels even where NumPy is vendored (benchmark comparisons).
  const pyConfig = { ...config, backend: params.get("pykernels") === "python" ? "python" : "auto" };
  try {
    const info = await engine.init(pyConfig);
    window.__digits.timings.pythonReady = performance.now();
    setKernels(info.backend === "numpy" ? "numpy" : "python");
    const kernels = info.backend === "numpy" ? "NumPy" : "pure-Python kernels";
    setEngineStatus("python", "ready", `Python ${info.pythonVersion}: ready (${kernels})`);
    if (info.numpyError) showMessage(`NumPy could not load (${info.numpyError}); using pure-Python kernels.`, "info");
    if ($("engine").value !== "tfjs" && state.input) recognize();
  } catch (err) {
    state.pythonError = err.message;
    setEngineStatus("python", "error", `Python engine failed: ${err.message}`);
    if ($("engine").value !== "tfjs") recognize();
  }
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.async = false;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`${src} could not be loaded`));
    document.head.append(el);
  });
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator) || params.has("nosw")) return;
  navigator.serviceWorker
    .register("sw.js")
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      root.dataset.offline = "ready";
      $("status-offline").hidden = false;
      $("status-offline").dataset.state = "ready";
    })
    .catch((err) => console.warn("service worker not registered:", err));
}

function exposeHooks() {
  // Stable hooks for tests and the benchmark (python build.py bench).
  const toGray = (g) => Float64Array.from(g);
  window.__digits = {
    config: null,
    timings: {},
    tfjsReady: null,
    pythonReady: null,
    get lastResult() { return state.lastResult; },
    tfBackend: () => state.tfjs && state.tfjs.backend,
    numTensors: () => state.tfjs.numTensors(),
    /** Probabilities for a 28x28 input from one engine. */
    async predict28(engine, image28) {
      if (engine === "python") return state.python.predict28(image28);
      return Array.from(state.tfjs.predict28(Float32Array.from(image28)));
    },
    /** Full recognition (preprocessing + model) of grey pixels, without touching the page. */
    async recognizeGray(engine, gray, width, height) {
      return engine === "python" ? runPython(toGray(gray), width, height) : runTfjs(toGray(gray), width, height);
    },
    /** n forward passes on one 28x28 input; per-run milliseconds. */
    async bench(engine, image28, n) {
      if (engine === "python") return state.python.bench(image28, n);
      const x = Float32Array.from(image28);
      const times = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        state.tfjs.predict28(x);
        times.push(performance.now() - t0);
      }
      return times;
    },
    /** n full recognitions through the page's own path (preprocess + model + render). */
    async recognizeRepeatedly(n) {
      for (let i = 0; i < n; i++) await recognize();
    },
  };
}

async function main() {
  exposeHooks();
  const python = bootPython();
  // TF.js is loaded from here, after the worker exists, instead of blocking this module as a classic script.
  const tfScripts = loadScript("vendor/tfjs/tf.min.js").then(() => loadScript("vendor/tfjs/tf-backend-wasm.min.js"));
  tfScripts.catch(() => {});
  buildBars();
  renderBars(null);
  renderSeen(null);
  pad = new DrawingPad($("pad"), { onStrokeEnd, onChange: onPadChange });
  bindInputs();
  showResult({ engine: "tfjs", empty: true, probs: [], image28: null, ms: 0 });
  let config;
  try {
    config = await loadJson(new URL("config.json", siteUrl).href);
  } catch (err) {
    showMessage(`The site is incomplete (config.json: ${err.message}).`);
    setEngineStatus("tfjs", "error", "TF.js: site config missing");
    setEngineStatus("python", "error", "Python: site config missing");
    python.fail("site config missing");
    return;
  }
  window.__digits.config = config;
  setKernels(config.numpy_wheel ? "numpy" : "python");
  window.__digits.pythonReady = startPython(python, config);
  try {
    const manifest = await loadJson(new URL(config.manifest, siteUrl).href);
    if (typeof manifest.unsure_threshold === "number") state.threshold = manifest.unsure_threshold;
  } catch (err) {
    console.warn("model card not readable; default unsure threshold", err);
  }
  window.__digits.tfjsReady = startTfjs(config, tfScripts).catch(() => {});
  // Precaching revalidates every file of the site; wait until both engines have loaded so it does not
  // compete with them on a first visit (and finds them in the HTTP cache).
  Promise.allSettled([window.__digits.tfjsReady, window.__digits.pythonReady]).then(registerServiceWorker);
}

main();
