// Runs while the HTML is still being parsed: start the Python worker as early as possible, so Pyodide's
// download and compile (the slowest thing on the page) overlap everything else. app.js adopts it.
(function () {
  const early = [];
  try {
    const worker = new Worker(new URL("py-worker.mjs", document.currentScript.src), { type: "module" });
    // Events that arrive before app.js attaches its handlers are kept and replayed, not lost.
    const keep = (event) => early.push(event);
    worker.addEventListener("message", keep);
    worker.addEventListener("error", keep);
    window.__pyBoot = { worker, early, stop: () => { worker.removeEventListener("message", keep); worker.removeEventListener("error", keep); } };
  } catch (err) {
    window.__pyBoot = { error: err };
  }
})();
