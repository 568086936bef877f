// History entries in PouchDB (IndexedDB in the browser). Every method throws HistoryError on failure;
// the page keeps recognizing without history when opening fails with kind "unavailable".
//
// Listing uses allDocs over the time-sortable ids, never find(): PouchDB 9's find() returns at most
// 25 documents unless given a limit, which would silently truncate a long history.
//
// A write that the browser aborts (a full disk: QuotaExceededError) makes PouchDB's IndexedDB adapter
// close its connection for good; every later call would then fail with InvalidStateError. The store
// reopens the database once when that happens, so a full disk costs the write that did not fit, not
// the whole history until the page is reloaded. onChange feeds and onReopen listeners follow the new one.
import { HistoryError, historyErrorFrom } from "./errors.js";
import {
  ENTRY_PREFIX, ENTRY_RANGE_END, EntryError, isEntryId, newEntry, withCorrection, withReading,
} from "./entry.js";

export const DEFAULT_DB_NAME = "digits-history";
const PAGE = 200;
const MAX_WRITE_RETRIES = 5;

/** The connection to the database was closed under us (see above). */
function connectionLost(err) {
  const text = `${(err && err.name) || ""} ${(err && err.message) || ""}`;
  return /InvalidStateError|database is closed|connection is clos/i.test(text);
}

function invalid(err) {
  return err instanceof EntryError ? new HistoryError("invalid", err.message, err) : err;
}

export class HistoryStore {
  /**
   * Open (or create) the history database.
   * PouchDB: the constructor (window.PouchDB from vendor/pouchdb-<version>/pouchdb.min.js in the page).
   * adapter: leave unset in the browser (IndexedDB); "memory" in Node tests.
   */
  static async open({ PouchDB, name = DEFAULT_DB_NAME, adapter, now = () => new Date(), random = Math.random } = {}) {
    if (typeof PouchDB !== "function") {
      throw new HistoryError("unavailable", "History is off: the PouchDB runtime did not load.");
    }
    const connect = async () => {
      const db = new PouchDB(name, { auto_compaction: true, ...(adapter ? { adapter } : {}) });
      await db.info(); // IndexedDB refuses at the first operation (private mode, blocked storage)
      return db;
    };
    let db;
    try {
      db = await connect();
    } catch (err) {
      throw historyErrorFrom(err, "open its database");
    }
    return new HistoryStore(db, now, random, connect);
  }

  constructor(db, now, random, connect = null) {
    this.db = db; // the PouchDB database; sync replicates it (onReopen says when it is replaced)
    this._now = now;
    this._random = random;
    this._connect = connect;
    this._reopening = null;
    this._feeds = new Set(); // live onChange feeds, restarted on the reopened database
    this._reopenListeners = new Set();
  }

  /** listener(db) when the database was reopened (see the top of this file); returns an unsubscribe function. */
  onReopen(listener) {
    this._reopenListeners.add(listener);
    return () => this._reopenListeners.delete(listener);
  }

  /** Run op(db); if the connection was lost, reopen the database and run it once more. */
  async _withDb(op) {
    try {
      return await op(this.db);
    } catch (err) {
      if (!this._connect || !connectionLost(err)) throw err;
      await this._reopen();
      return op(this.db);
    }
  }

  _reopen() {
    if (!this._reopening) {
      this._reopening = (async () => {
        this.db = await this._connect();
        for (const feed of this._feeds) feed.restart();
        for (const listener of this._reopenListeners) listener(this.db);
      })().finally(() => {
        this._reopening = null;
      });
    }
    return this._reopening;
  }

  _iso() {
    return this._now().toISOString();
  }

  /** Save a new entry from a reading; returns the stored entry (with _id and _rev). */
  async add(reading) {
    let entry;
    try {
      entry = newEntry(reading, this._iso(), this._random);
    } catch (err) {
      throw invalid(err);
    }
    try {
      const res = await this._withDb((db) => db.put(entry));
      return { ...entry, _rev: res.rev };
    } catch (err) {
      throw historyErrorFrom(err, "save the entry");
    }
  }

  /** Later strokes of the same drawing: replace the reading of entry `id`. */
  update(id, reading) {
    return this._modify(id, "update the entry", (entry) => withReading(entry, reading, this._iso()));
  }

  /** Record the true digit(s) of entry `id`, e.g. "7" or "42". A previous correction goes to its history. */
  correct(id, digits) {
    return this._modify(id, "save the correction", (entry) => withCorrection(entry, digits, this._iso()));
  }

  async get(id) {
    try {
      return await this._withDb((db) => db.get(id));
    } catch (err) {
      throw this._missing(err, id) || historyErrorFrom(err, "read the entry");
    }
  }

  async remove(id) {
    for (let attempt = 0; ; attempt++) {
      const doc = await this.get(id);
      try {
        await this._withDb((db) => db.remove(doc));
        return;
      } catch (err) {
        if (err.status === 409 && attempt < MAX_WRITE_RETRIES) continue; // changed meanwhile (sync, another tab)
        throw this._missing(err, id) || historyErrorFrom(err, "delete the entry");
      }
    }
  }

  /** Delete every entry. With sync on, the deletions reach the server like any other change. */
  async clear() {
    const ids = [];
    try {
      const res = await this._withDb((db) => db.allDocs({ startkey: ENTRY_PREFIX, endkey: ENTRY_RANGE_END }));
      for (const row of res.rows) ids.push({ _id: row.id, _rev: row.value.rev, _deleted: true });
      if (ids.length) await this._withDb((db) => db.bulkDocs(ids));
    } catch (err) {
      throw historyErrorFrom(err, "delete the entries");
    }
    return ids.length;
  }

  /**
   * Entries, newest first: at most `limit`, starting after entry id `after` (pass the last id of the
   * previous page to page on).
   */
  async list({ limit = 50, after = null } = {}) {
    // Start at `after` itself and drop it, rather than skip: 1, so a page still starts right when that
    // entry was deleted meanwhile (skip would then pass over the next one).
    const opts = { include_docs: true, descending: true, endkey: ENTRY_PREFIX, startkey: after || ENTRY_RANGE_END, limit: limit + 1 };
    try {
      const res = await this._withDb((db) => db.allDocs(opts));
      return res.rows.filter((row) => row.id !== after).slice(0, limit).map((row) => row.doc);
    } catch (err) {
      throw historyErrorFrom(err, "list the entries");
    }
  }

  /** Every entry, newest first (pages through allDocs). */
  async listAll() {
    const out = [];
    for (let page = await this.list({ limit: PAGE }); page.length; page = await this.list({ limit: PAGE, after: out[out.length - 1]._id })) {
      out.push(...page);
      if (page.length < PAGE) break;
    }
    return out;
  }

  async count() {
    try {
      // total_rows would count every document; count the entry id range (ids only, no bodies).
      return (await this._withDb((db) => db.allDocs({ startkey: ENTRY_PREFIX, endkey: ENTRY_RANGE_END }))).rows.length;
    } catch (err) {
      throw historyErrorFrom(err, "count the entries");
    }
  }

  /** Call `listener({id, deleted})` for every entry change from now on (local writes and sync). */
  onChange(listener) {
    let feed = null;
    const start = () => {
      feed = this.db.changes({ live: true, since: "now" });
      feed.on("change", (change) => {
        if (isEntryId(change.id)) listener({ id: change.id, deleted: Boolean(change.deleted) });
      });
      feed.on("error", () => {}); // the feed ends when the database closes
    };
    // On a reopened database: a new feed, and one call with id null, since changes may have been missed.
    const handle = { restart: () => { feed.cancel(); start(); listener({ id: null, deleted: false }); } };
    start();
    this._feeds.add(handle);
    return () => {
      this._feeds.delete(handle);
      feed.cancel();
    };
  }

  async close() {
    await this.db.close();
  }

  /** Delete the whole local database (entries and device-only settings). Sync is not affected remotely. */
  async destroy() {
    try {
      await this.db.destroy();
    } catch (err) {
      throw historyErrorFrom(err, "delete its database");
    }
  }

  async _modify(id, action, change) {
    for (let attempt = 0; ; attempt++) {
      const doc = await this.get(id);
      let next;
      try {
        next = change(doc);
      } catch (err) {
        throw invalid(err);
      }
      try {
        const res = await this._withDb((db) => db.put(next));
        return { ...next, _rev: res.rev };
      } catch (err) {
        if (err.status === 409 && attempt < MAX_WRITE_RETRIES) continue;
        throw historyErrorFrom(err, action);
      }
    }
  }

  _missing(err, id) {
    return err && err.status === 404 ? new HistoryError("not_found", `No history entry ${id}: it was deleted (here or on another device).`, err) : null;
  }
}
