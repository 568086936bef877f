// Runs first, as a classic script in <head>: records what goes wrong before the page's modules run (PyScript
// starts its worker before js/main.js does), so js/python-engine.js can say why Python did not start instead
// of waiting out its timeout. Records Content-Security-Policy violations and scripts that failed to load.
(function () {
  const problems = [];
  const note = (problem) => {
    problems.push(problem);
    if (problems.listener) problems.listener(problem);
  };
  window.__startupProblems = problems; // python-engine.js reads it and sets .listener for later ones
  addEventListener("securitypolicyviolation", (e) => {
    note({ kind: "csp", directive: e.effectiveDirective || e.violatedDirective || "", blocked: e.blockedURI || "" });
  }, true);
  // Load errors of <script> elements do not bubble, but a capturing listener on the window sees them.
  addEventListener("error", (e) => {
    const el = e.target;
    if (el && el.tagName === "SCRIPT" && el.src) note({ kind: "script", src: el.src });
  }, true);
})();
