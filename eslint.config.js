// ESLint flat config: the page's modules, its service worker and the Node test helpers.
// Run by tests/test_lint.py (with ruff for Python) as part of the test suite.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", "site/", "build/", "bench/", "runs/", "web/model/"] },
  js.configs.recommended,
  {
    rules: {
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "smart"],
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
    },
  },
  {
    files: ["web/js/**/*.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["web/sw.js"],
    // build_site.py injects VERSION and PRECACHE in place of the /*__PRECACHE__*/ marker.
    languageOptions: { sourceType: "script", globals: { ...globals.serviceworker, VERSION: "readonly", PRECACHE: "readonly" } },
  },
  {
    files: ["tests/js/**/*.mjs", "devtools/**/*.mjs", "eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
  {
    files: ["tests/js/**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
  {
    files: ["tests/browser/**/*.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser } },
  },
];
