// Typed errors for history storage. The page shows `message` as is; `kind` lets it decide what to do
// ("unavailable": run without history; "quota": ask the user to free space; the rest: report and go on).

export class HistoryError extends Error {
  constructor(kind, message, cause) {
    super(message);
    this.name = "HistoryError";
    this.kind = kind; // "unavailable" | "quota" | "not_found" | "invalid" | "storage"
    if (cause !== undefined) this.cause = cause;
  }
}

const UNAVAILABLE =
  "History is off: this browser does not let the page store data (private browsing, or site data " +
  "blocked in its settings). Recognition still works; entries are not kept.";
const QUOTA =
  "History is full: the browser's storage for this site ran out, so this entry was not saved. " +
  "Delete old entries (or export and then delete them), or allow this site more storage.";

// PouchDB's IndexedDB adapter reports every IndexedDB failure as name "indexed_db_went_bad" with the
// DOMException's name (e.g. "QuotaExceededError") or message in `reason`.
function describe(err) {
  if (!err) return "";
  return [err.name, err.reason, err.message].filter((s) => typeof s === "string").join(" ");
}

/** Turn whatever PouchDB or IndexedDB threw into a HistoryError that says what to do. */
export function historyErrorFrom(err, action) {
  if (err instanceof HistoryError) return err;
  const text = describe(err);
  if (/quota/i.test(text)) return new HistoryError("quota", QUOTA, err);
  if (
    /Invalid Adapter|Failed to open indexedDB|private browsing|InvalidStateError|SecurityError|indexedDB is not defined/i.test(text) ||
    (err && err.name === "indexed_db_went_bad" && /UnknownError|open/i.test(text))
  ) {
    return new HistoryError("unavailable", UNAVAILABLE, err);
  }
  const reason = (err && (err.reason || err.message)) || String(err);
  return new HistoryError("storage", `History could not ${action}: ${reason}.`, err);
}
