// Start the history: load PouchDB, open the store, and connect the recorder (fed by the controller's
// answers), the history panel and the sync panel. Anything that fails here leaves the recognizer working:
// the panel says why history is off.
import { HistoryRecorder } from "./history-recorder.js";
import { HistoryPanel } from "./history-panel.js";
import { loadPouchDB } from "./history/pouchdb.js";
import { HistoryStore } from "./history/store.js";
import { SyncController } from "./history/sync.js";
import { SyncPanel } from "./sync-panel.js";
import { grayThumbnail } from "./thumbnail.js";

/**
 * configReady / manifestReady: promises of the site's config.json and the weights manifest.
 * pad: the drawing pad's canvas (a stroke starting there postpones the pause that saves a drawing).
 * Resolves to {store, recorder, panel, sync, syncPanel}, or null when history is off on this device.
 */
export async function startHistory({ controller, pad, configReady, manifestReady, doc = document }) {
  const panel = new HistoryPanel(doc);
  const syncPanel = new SyncPanel(doc);
  let modelSha256 = null;
  manifestReady.then((m) => (modelSha256 = (m && m.weights && m.weights.sha256) || null), () => {});

  // Answers given before the store is open are kept too: the recorder waits for it.
  const opening = (async () => {
    const config = await configReady;
    let PouchDB;
    try {
      PouchDB = await loadPouchDB(config.pouchdb);
    } catch (err) {
      throw Object.assign(new Error(`History is off: its database code did not load (${err.message}). Recognition still works.`), { kind: "unavailable" });
    }
    return { PouchDB, store: await HistoryStore.open({ PouchDB }) };
  })();
  const recorder = new HistoryRecorder({
    store: opening.then((o) => o.store),
    modelSha256: () => modelSha256,
    thumbnail: (input) => grayThumbnail(input.gray, input.width, input.height, doc),
    onSaved: (entry, { created }) => panel.announce(created ? `Saved to history: ${entry.answer || "no digit"}.` : "History entry updated."),
    onError: (err) => panel.showMessage(err.kind === "unavailable" ? err.message : `Not saved to history: ${err.message}`),
  });
  controller.onResult((result, input) => recorder.onResult(result, input));
  pad.addEventListener("pointerdown", () => recorder.strokeStarted());
  // Leaving the page (tab closed, app switched) within the pause still keeps the drawing.
  doc.addEventListener("visibilitychange", () => {
    if (doc.visibilityState === "hidden") recorder.flush();
  });

  let PouchDB, store;
  try {
    ({ PouchDB, store } = await opening);
  } catch (err) {
    panel.unavailable(err.message);
    syncPanel.unavailable();
    return null;
  }
  const sync = new SyncController({ PouchDB, db: store.db });
  store.onReopen((db) => sync.useDatabase(db).catch(() => {})); // failures show in the sync state
  panel.syncOn = () => sync.state.state !== "off";
  await panel.attach(store);
  await syncPanel.attach({ sync, db: store.db });
  return { store, recorder, panel, sync, syncPanel };
}
