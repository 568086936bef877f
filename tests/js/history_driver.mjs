// Runs web/js/history/* (and web/js/history-recorder.js) in Node for the Python tests (tests/history_driver.py drives it).
//
// Protocol: one JSON object per line on stdin, {"id", "code", "args"}; `code` is the body of an async
// function (ctx, args) and its return value comes back as one JSON line on stdout,
// {"id", "ok": true, "result"} or {"id", "ok": false, "error": {name, message, kind, reason, field, status}}.
// Objects made by one call live on in ctx.vars for the next ones.
//
// PouchDB is the browser build the site ships (node_modules/pouchdb/dist/pouchdb.min.js) plus the
// in-memory adapter, since Node has no IndexedDB; its HTTP adapter uses Node's fetch like a browser's.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// stdout carries the protocol: send PouchDB's console messages to stderr.
for (const level of ["log", "info", "warn", "debug"]) console[level] = (...args) => console.error(...args);

// A browser only logs an unhandled rejection; Node would exit. PouchDB's replication leaves one when the
// server drops right after a batch (it calls the remote's info() for progress figures and never catches
// it), so behave like the browser: log it and go on.
process.on("unhandledRejection", (reason) => console.error("unhandled rejection:", reason && reason.message));

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
globalThis.self ??= globalThis; // the browser build looks its globals up on `self`
const PouchDB = require(resolve(here, "../../node_modules/pouchdb/dist/pouchdb.min.js"));
PouchDB.plugin(require("pouchdb-adapter-memory"));

const modules = {};
for (const name of ["entry", "errors", "store", "npz", "export", "conflicts", "settings", "auth", "ratelimit", "sync"]) {
  modules[name] = await import(pathToFileURL(resolve(here, `../../web/js/history/${name}.js`)).href);
}
// The page's module that decides when an answer becomes an entry (it needs no DOM).
modules.recorder = await import(pathToFileURL(resolve(here, "../../web/js/history-recorder.js")).href);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ctx = {
  PouchDB,
  ...modules,
  vars: {},
  sleep,
  /** Poll `predicate` (may be async) until it returns a truthy value; throw after timeoutMs. */
  async waitFor(predicate, timeoutMs = 15000, what = "condition") {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await predicate();
      if (value) return value;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(25);
    }
  },
  b64(bytes) {
    return Buffer.from(bytes).toString("base64");
  },
};

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

createInterface({ input: process.stdin }).on("line", async (line) => {
  if (!line.trim()) return;
  const { id, code, args } = JSON.parse(line);
  try {
    const result = await new AsyncFunction("ctx", "args", code)(ctx, args || {});
    send({ id, ok: true, result: result === undefined ? null : result });
  } catch (err) {
    const e = err || {};
    send({
      id, ok: false,
      error: { name: e.name, message: e.message || String(err), kind: e.kind, reason: e.reason, field: e.field, status: e.status, stack: e.stack },
    });
  }
});
send({ id: 0, ok: true, result: "ready" });
