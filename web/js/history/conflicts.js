// Conflict resolution for replicated entries, so that no correction is lost.
//
// Replication can leave one entry with several leaf revisions (edited on two devices, or on the server,
// while apart). CouchDB then picks a winner by revision ids alone, which may be an uncorrected copy.
// We merge every leaf into one revision instead:
//   - the reading (answer, digits, thumbnail, ...) comes from the leaf with the latest `updated`;
//   - the correction is the latest one among the leaves' corrections (a correction beats none);
//   - every other correction, and every leaf's correction_history, goes into correction_history.
// The merge is deterministic, so two devices resolving the same conflict write the same content.
import { ENTRY_PREFIX, ENTRY_RANGE_END, ENTRY_TYPE, isEntryId } from "./entry.js";

function byTimeThenDigits(a, b) {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
}

function correctionKey(c) {
  return `${c.time}|${c.digits}|${c.note || ""}`;
}

/** Merge the leaf revisions of one entry into its content (without _rev / _conflicts). */
export function mergeEntryRevisions(docs) {
  if (!docs.length) throw new Error("mergeEntryRevisions needs at least one revision");
  const ordered = [...docs].sort((a, b) => {
    if (a.updated !== b.updated) return a.updated < b.updated ? -1 : 1;
    return a._rev < b._rev ? -1 : a._rev > b._rev ? 1 : 0;
  });
  const base = ordered[ordered.length - 1];
  const current = docs.map((d) => d.correction).filter(Boolean).sort(byTimeThenDigits);
  const correction = current.length ? current[current.length - 1] : null;
  const history = new Map();
  for (const d of docs) for (const c of d.correction_history || []) history.set(correctionKey(c), c);
  for (const c of current) if (c !== correction) history.set(correctionKey(c), c);
  if (correction) history.delete(correctionKey(correction));
  const merged = { ...base };
  delete merged._rev;
  delete merged._conflicts;
  merged.correction = correction ? { ...correction } : null;
  merged.correction_history = [...history.values()].sort(byTimeThenDigits);
  return merged;
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).filter((k) => k !== "_rev" && k !== "_conflicts").sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Resolve the conflicts of entry `id` in `db`; returns true when it wrote a resolution. */
export async function resolveEntryConflicts(db, id) {
  const winner = await db.get(id, { conflicts: true });
  if (!winner._conflicts || !winner._conflicts.length || winner.type !== ENTRY_TYPE) return false;
  const losers = await Promise.all(winner._conflicts.map((rev) => db.get(id, { rev })));
  const merged = mergeEntryRevisions([winner, ...losers]);
  const writes = losers.map((l) => ({ _id: id, _rev: l._rev, _deleted: true }));
  if (canonical(merged) !== canonical(winner)) writes.unshift({ ...merged, _id: id, _rev: winner._rev });
  const results = await db.bulkDocs(writes);
  const failed = results.find((r) => r.error && r.status !== 409);
  if (failed) throw Object.assign(new Error(`could not resolve the conflict on ${id}: ${failed.reason || failed.message}`), { status: failed.status });
  // A 409 means another writer moved the entry meanwhile; its change event brings us back here.
  return true;
}

/** Resolve every conflicted entry (at start, to catch conflicts that arrived while nothing watched). */
export async function resolveAllConflicts(db) {
  const res = await db.allDocs({ startkey: ENTRY_PREFIX, endkey: ENTRY_RANGE_END, conflicts: true, include_docs: true });
  let resolved = 0;
  for (const row of res.rows) {
    if (row.doc && row.doc._conflicts && row.doc._conflicts.length && (await resolveEntryConflicts(db, row.id))) resolved++;
  }
  return resolved;
}

/**
 * Watch `db` and resolve conflicts as replication brings them. Returns {cancel, idle()}: idle() resolves
 * once every conflict seen so far has been handled (tests and shutdown wait on it).
 */
export function watchConflicts(db, { onResolved = () => {}, onError = () => {} } = {}) {
  let chain = Promise.resolve();
  const run = (task) => {
    chain = chain.then(task).catch(onError);
    return chain;
  };
  run(async () => {
    const n = await resolveAllConflicts(db);
    if (n) onResolved(n);
  });
  const feed = db.changes({ live: true, since: "now", conflicts: true, include_docs: true });
  feed.on("change", (change) => {
    if (!isEntryId(change.id) || !change.doc || !change.doc._conflicts || !change.doc._conflicts.length) return;
    run(async () => {
      if (await resolveEntryConflicts(db, change.id)) onResolved(1);
    });
  });
  feed.on("error", onError);
  return {
    cancel: () => feed.cancel(),
    idle: () => chain,
  };
}
