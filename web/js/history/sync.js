// Optional two-way sync of the history database with the user's own CouchDB or Cloudant database.
// Off until start() is called with settings; the settings stay on the device (settings.js).
//
// States (SyncController.state.state):
//   "off"         not started, or stopped by the user
//   "syncing"     connecting, or changes are flowing
//   "up_to_date"  both directions caught up; live replication waits for new changes
//   "offline"     the device is offline; resumes on the browser's "online" event
//   "error"       with `reason` and a message that says what to do; `retryInMs` is set when it retries
//                 by itself (unreachable server, rate limits, server errors), null when the user must
//                 act (bad URL, wrong credentials, missing database, CORS)
//
// Replication runs with PouchDB's own retry off: on any error this controller classifies it, tells
// the page, and reconnects with exponential backoff. Checkpoints make every reconnect carry on where
// the last one stopped, in both directions. Conflicts are resolved as they arrive (conflicts.js).
import { AuthError, authorizedFetch } from "./auth.js";
import { watchConflicts } from "./conflicts.js";
import { historyErrorFrom } from "./errors.js";
import { retryOn429 } from "./ratelimit.js";
import { parseDatabaseUrl, validateSettings } from "./settings.js";

export const SYNC_STATES = ["off", "syncing", "up_to_date", "offline", "error"];

const inBrowser = typeof window !== "undefined" && typeof document !== "undefined";

function defaultIsOnline() {
  return typeof navigator === "undefined" || navigator.onLine !== false;
}

function isNetworkFailure(err) {
  if (!err) return false;
  if (typeof err.status === "number" && err.status > 0) return false;
  const text = `${err.name || ""} ${err.message || ""} ${err.reason || ""} ${err.cause ? err.cause.code || err.cause.message || "" : ""}`;
  return err instanceof TypeError || /fetch|network|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|socket|aborted|Load failed/i.test(text);
}

/**
 * What went wrong and what to do: {state, reason, message, retry}.
 * `online`: the device's view (navigator.onLine). `corsBlocked`: a no-cors probe reached the server
 * although the real request failed, so the browser refused the reply (the server's CORS settings).
 */
export function classifySyncError(err, { online = true, corsBlocked = false, where = "the database" } = {}) {
  if (!online) {
    return { state: "offline", reason: "offline", retry: true, message: "Offline: sync resumes when this device is back online." };
  }
  if (err instanceof AuthError) {
    return { state: "error", reason: err.reason, retry: err.reason === "iam_unreachable" && !corsBlocked, message: err.message };
  }
  if (err && err.name === "indexed_db_went_bad") {
    // The device's own storage failed (full, usually) while writing what was pulled.
    return { state: "error", reason: "local_storage", retry: true, message: historyErrorFrom(err, "store what sync brought").message };
  }
  const status = err && typeof err.status === "number" ? err.status : 0;
  if (status === 401) {
    return { state: "error", reason: "unauthorized", retry: false, message: `${where} refused the credentials (401): check the user name and password, or the API key.` };
  }
  if (status === 403) {
    return { state: "error", reason: "forbidden", retry: false, message: `${where} does not let these credentials use it (403): give them reader and writer access to the database.` };
  }
  if (status === 404) {
    return { state: "error", reason: "not_found", retry: false, message: `No database at this address (404): check its name, and create the database first.` };
  }
  if (status === 429) {
    return { state: "error", reason: "rate_limited", retry: true, message: `${where} is rate-limiting requests (429).` };
  }
  if (status >= 500) {
    return { state: "error", reason: "server_error", retry: true, message: `${where} had an error (${status}).` };
  }
  if (err && (err.name === "SyntaxError" || err.reason === "not_couchdb")) {
    return { state: "error", reason: "not_couchdb", retry: false, message: `${where} answered, but not like a CouchDB or Cloudant database: check the address (https://HOST/DATABASE).` };
  }
  if (isNetworkFailure(err)) {
    if (corsBlocked) {
      return {
        state: "error", reason: "cors", retry: false,
        message: `${where} is reachable but does not allow this page's origin (CORS): add ${inBrowser ? location.origin : "the page's origin"} to its CORS settings, with credentials allowed.`,
      };
    }
    return { state: "error", reason: "unreachable", retry: true, message: `Cannot reach ${where}: it may be down, or the address may be wrong.` };
  }
  const detail = (err && (err.reason || err.message)) || String(err);
  return { state: "error", reason: "unknown", retry: true, message: `Sync failed: ${detail}.` };
}

/** In a browser, tell a CORS refusal from an unreachable server: a no-cors request still reaches it. */
async function browserCorsProbe(origin, baseFetch) {
  if (!inBrowser) return false;
  try {
    await baseFetch(`${origin}/`, { mode: "no-cors", credentials: "omit", cache: "no-store" });
    return true;
  } catch {
    return false;
  }
}

export class SyncController {
  /**
   * PouchDB: the constructor; db: the local history database (HistoryStore.db).
   * The other options exist for tests: timings, the fetch to use, the online check.
   */
  constructor({
    PouchDB, db, fetch = (...args) => globalThis.fetch(...args), isOnline = defaultIsOnline, events = inBrowser ? window : null,
    backoff = { initialMs: 2000, maxMs: 5 * 60 * 1000 }, rateLimit = {}, probeCors = browserCorsProbe, now = () => new Date(),
  }) {
    this.PouchDB = PouchDB;
    this.db = db;
    this._fetch = fetch;
    this._isOnline = isOnline;
    this._events = events;
    this._backoff = backoff;
    this._rateLimit = rateLimit;
    this._probeCors = probeCors;
    this._now = now;
    this._listeners = new Set();
    this._generation = 0; // bumps on every (re)connect and stop: late events of an old run are ignored
    this._settings = null; // validated settings while started
    this._where = null; // host:port of the database, for messages (never the credentials)
    this._remoteFetch = null; // signed, 429-retrying fetch given to PouchDB
    this._tokens = null; // IamTokenSource with IAM
    this._remote = null;
    this._replication = null;
    this._lastSynced = null;
    this._current = ["off", null, "Sync is off.", null];
    this._conflicts = null;
    this._timer = null;
    this._attempt = 0;
    this._counts = { pushed: 0, pulled: 0, throttled: 0, denied: 0, conflictsResolved: 0 };
    this._state = this._snapshot("off", null, "Sync is off.", null);
    this._onOnline = () => this._connectivityChanged(true);
    this._onOffline = () => this._connectivityChanged(false);
  }

  get state() {
    return this._state;
  }

  /** listener(state) now and on every change; returns an unsubscribe function. */
  subscribe(listener) {
    this._listeners.add(listener);
    listener(this._state);
    return () => this._listeners.delete(listener);
  }

  /** Start syncing with `settings` (see settings.js validateSettings; throws SettingsError). */
  async start(settings) {
    const valid = validateSettings(settings);
    await this.stop();
    this._settings = valid;
    this._where = parseDatabaseUrl(valid.url).host;
    this._counts = { pushed: 0, pulled: 0, throttled: 0, denied: 0, conflictsResolved: 0 };
    this._lastSynced = null;
    const signed = authorizedFetch(valid, this._fetch);
    this._remoteFetch = retryOn429(signed, {
      ...this._rateLimit,
      onThrottle: () => {
        this._counts.throttled++;
        this._emit();
      },
    });
    this._tokens = signed.tokens || null;
    this._remote = new this.PouchDB(valid.url, { skip_setup: true, fetch: this._remoteFetch });
    // PouchDB's replicator asks the remote for progress figures (info()) after every batch and never
    // handles a failure there, so a server that drops at that moment left an unhandled rejection in the
    // page. Those figures are not used: a failed info() answers without them, and the replication's next
    // request meets the same failure and reports it as usual.
    const info = this._remote.info.bind(this._remote);
    const database = parseDatabaseUrl(valid.url).database;
    this._remote.info = () => info().catch(() => ({ db_name: database, update_seq: 0, unavailable: true }));
    this._conflicts = watchConflicts(this.db, {
      onResolved: (n) => {
        this._counts.conflictsResolved += n;
        this._emit();
      },
      onError: () => {}, // a failed resolution is retried on the entry's next change
    });
    if (this._events) {
      this._events.addEventListener("online", this._onOnline);
      this._events.addEventListener("offline", this._onOffline);
    }
    this._attempt = 0;
    this._connect();
  }

  /** The local database was reopened (HistoryStore.onReopen): go on syncing with the new one. */
  async useDatabase(db) {
    this.db = db;
    if (this._settings) await this.start(this._settings);
  }

  /** Stop syncing (state "off"). Local history is untouched. */
  async stop() {
    this._generation++;
    clearTimeout(this._timer);
    this._timer = null;
    this._cancelReplication();
    if (this._conflicts) {
      this._conflicts.cancel();
      await this._conflicts.idle();
      this._conflicts = null;
    }
    if (this._events) {
      this._events.removeEventListener("online", this._onOnline);
      this._events.removeEventListener("offline", this._onOffline);
    }
    this._settings = null;
    this._remote = null;
    this._tokens = null;
    this._set("off", null, "Sync is off.", null);
  }

  /** Reconnect now (the user fixed something, or does not want to wait for the next retry). */
  retryNow() {
    if (!this._settings) return;
    clearTimeout(this._timer);
    this._attempt = 0;
    this._connect();
  }

  // ---------- internals ----------

  _connect() {
    const gen = ++this._generation;
    this._run(gen).catch((err) => {
      if (gen === this._generation) this._failed(err, gen);
    });
  }

  async _run(gen) {
    this._cancelReplication();
    if (!this._isOnline()) {
      this._offline(gen);
      return;
    }
    this._set("syncing", null, `Connecting to ${this._where}…`, null);
    await this._checkDatabase(); // throws: _connect hands the error to _failed
    if (gen !== this._generation) return;
    this._set("syncing", null, `Syncing with ${this._where}…`, null);
    const replication = this.PouchDB.sync(this.db, this._remote, { live: true, retry: false });
    this._replication = replication;
    replication.on("active", () => {
      if (gen === this._generation) this._set("syncing", null, `Syncing with ${this._where}…`, null);
    });
    replication.on("paused", (err) => {
      if (gen !== this._generation || err) return;
      this._attempt = 0;
      this._lastSynced = this._now().toISOString();
      // Documents the server refused (e.g. credentials that may read but not write) do not stop
      // replication; say so rather than claim everything arrived.
      const refused = this._counts.denied
        ? ` ${this._counts.denied} change(s) were refused by the server (403): give these credentials writer access.`
        : "";
      this._set("up_to_date", null, `Up to date with ${this._where}.${refused}`, null);
    });
    replication.on("change", (info) => {
      if (gen !== this._generation) return;
      const n = (info.change && info.change.docs && info.change.docs.length) || 0;
      if (info.direction === "push") this._counts.pushed += n;
      else this._counts.pulled += n;
      this._emit();
    });
    replication.on("denied", () => {
      if (gen !== this._generation) return;
      this._counts.denied++;
      this._emit();
    });
    replication.on("error", (err) => {
      if (gen === this._generation) this._failed(err, gen);
    });
    replication.on("complete", () => {
      // Live replication completes only when cancelled; if that was not us, reconnect.
      if (gen === this._generation && this._settings) this._schedule(gen, classifySyncError(new Error("replication stopped"), { where: this._where }));
    });
  }

  // PouchDB's info() over HTTP resolves even on 401/404 (with the error body), so check the database
  // with a request of our own: the same signed, rate-limit-aware fetch replication will use.
  async _checkDatabase() {
    const res = await this._remoteFetch(`${this._settings.url}/`, {
      method: "GET", credentials: "include", headers: new Headers({ Accept: "application/json" }),
    });
    const body = await res.json(); // a SyntaxError here: the address is not a CouchDB server
    if (!res.ok) throw Object.assign(new Error(body.reason || body.error || `HTTP ${res.status}`), { status: res.status, name: body.error || "error" });
    if (!body || typeof body.db_name !== "string") throw Object.assign(new Error("no db_name in the reply"), { reason: "not_couchdb" });
  }

  async _failed(err, gen) {
    this._cancelReplication();
    const online = this._isOnline();
    // A network failure in a browser may be a CORS refusal: probe the host the failed request went to.
    const iamUnreachable = err instanceof AuthError && err.reason === "iam_unreachable";
    let corsBlocked = false;
    if (online && (iamUnreachable || (!(err instanceof AuthError) && isNetworkFailure(err)))) {
      corsBlocked = await this._probeCors(new URL(iamUnreachable ? this._settings.tokenUrl : this._settings.url).origin, this._fetch);
    }
    if (gen !== this._generation) return;
    const where = err instanceof AuthError ? "the IAM token service" : this._where;
    const verdict = classifySyncError(err, { online, corsBlocked, where });
    if (verdict.state === "offline") this._offline(gen);
    else if (verdict.retry) this._schedule(gen, verdict);
    else this._set("error", verdict.reason, verdict.message, null);
  }

  _schedule(gen, verdict) {
    const { initialMs, maxMs } = this._backoff;
    const delay = Math.round(Math.min(maxMs, initialMs * 2 ** this._attempt) * (0.75 + Math.random() / 2));
    this._attempt++;
    clearTimeout(this._timer);
    this._timer = setTimeout(() => {
      if (gen === this._generation) this._connect();
    }, delay);
    const seconds = Math.max(1, Math.round(delay / 1000));
    this._set("error", verdict.reason, `${verdict.message} Retrying in ${seconds} s.`, delay);
  }

  _offline(gen) {
    clearTimeout(this._timer);
    // The "online" event reconnects; the slow timer covers browsers that miss it.
    this._timer = setTimeout(() => {
      if (gen === this._generation) this._connect();
    }, this._backoff.maxMs);
    this._set("offline", "offline", "Offline: sync resumes when this device is back online.", null);
  }

  _connectivityChanged(online) {
    if (!this._settings) return;
    if (online) {
      this._attempt = 0;
      this._connect();
    } else {
      this._generation++;
      this._cancelReplication();
      this._offline(this._generation);
    }
  }

  _cancelReplication() {
    if (this._replication) {
      this._replication.cancel();
      this._replication = null;
    }
  }

  _snapshot(state, reason, message, retryInMs) {
    return {
      state, reason, message, retryInMs,
      database: this._settings ? this._settings.url : null,
      lastSynced: this._lastSynced || null,
      ...this._counts,
      iamTokens: this._tokens ? this._tokens.exchanges : 0,
    };
  }

  _set(state, reason, message, retryInMs) {
    this._current = [state, reason, message, retryInMs];
    this._emit();
  }

  _emit() {
    const [state, reason, message, retryInMs] = this._current;
    this._state = this._snapshot(state, reason, message, retryInMs);
    for (const listener of this._listeners) {
      try {
        listener(this._state);
      } catch {
        // a broken listener must not stop sync
      }
    }
  }
}
