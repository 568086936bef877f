// Test harness: the history modules and the vendored PouchDB in a real browser, under the site's CSP
// (tests/browser/test_history_browser.py copies the built site's files next to this page).
import { loadPouchDB } from "./js/history/pouchdb.js";
import { HistoryStore } from "./js/history/store.js";
import { exportCorrections } from "./js/history/export.js";

window.harness = {
  async open(name = "digits-history") {
    const config = await (await fetch("config.json")).json();
    const PouchDB = await loadPouchDB(config.pouchdb);
    return (window.store = await HistoryStore.open({ PouchDB, name }));
  },
  exportCorrections,
};
document.documentElement.dataset.ready = "true";
