// Test harness: the history modules and the vendored PouchDB in a real browser, under the site's CSP
// with connect-src widened as sync needs (tests/browser/test_history_browser.py builds the page).
import { loadPouchDB } from "./js/history/pouchdb.js";
import { HistoryStore } from "./js/history/store.js";
import { exportCorrections } from "./js/history/export.js";
import { SyncController } from "./js/history/sync.js";

window.harness = {
  async open(name = "digits-history") {
    const config = await (await fetch("config.json")).json();
    const PouchDB = await loadPouchDB(config.pouchdb);
    return (window.store = await HistoryStore.open({ PouchDB, name }));
  },
  exportCorrections,
  /** Start sync of window.store with `settings`; states go to window.syncStates. */
  async startSync(settings) {
    const store = window.store || (await this.open());
    window.syncStates = [];
    window.sync = new SyncController({ PouchDB: window.PouchDB, db: store.db, backoff: { initialMs: 300, maxMs: 1500 } });
    window.sync.subscribe((s) => window.syncStates.push({ state: s.state, reason: s.reason, message: s.message, retryInMs: s.retryInMs }));
    await window.sync.start(settings);
  },
};
document.documentElement.dataset.ready = "true";
