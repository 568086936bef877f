// A CouchDB-protocol server for the sync tests: express-pouchdb over PouchDB's LevelDB adapter.
//
// Usage: node tests/js/couch_server.cjs --dir DIR [--port 0] [--cors-origin ORIGIN ...]
// Prints one JSON line {"port": N} once it listens on 127.0.0.1, then serves until SIGTERM/SIGINT.
//
// Why not the `pouchdb-server` package: it depends on sqlite3 4.x (optional), whose install step
// downloads a prebuilt binary or compiles C++ on a fresh machine. This script is the part of
// pouchdb-server the tests need; LevelDB's native module ships prebuilt inside its npm tarball.
// Data lives in DIR, so a restarted server keeps its databases, its admin user and its _security.
"use strict";

const path = require("node:path");
const fs = require("node:fs");
const express = require("express");
const expressPouchDB = require("express-pouchdb");
const PouchDB = require("pouchdb-node");

function parseArgs(argv) {
  const args = { dir: null, port: 0, corsOrigins: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === "--dir") args.dir = value;
    else if (argv[i] === "--port") args.port = Number(value);
    else if (argv[i] === "--cors-origin") args.corsOrigins.push(value);
    else continue;
    i++;
  }
  if (!args.dir) throw new Error("usage: couch_server.cjs --dir DIR [--port N] [--cors-origin ORIGIN]");
  return args;
}

// CouchDB answers CORS for the origins in its [cors] config, with credentials allowed; a browser
// sends PouchDB's requests with credentials: "include", so "*" would not do.
function cors(origins) {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && (origins.includes(origin) || origins.includes("*"))) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Allow-Credentials", "true");
      res.setHeader("Access-Control-Expose-Headers", "Content-Type, ETag, Cache-Control, Server");
      res.setHeader("Vary", "Origin");
      if (req.method === "OPTIONS") {
        res.setHeader("Access-Control-Allow-Methods", "GET, PUT, POST, HEAD, DELETE, OPTIONS");
        res.setHeader("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, Origin");
        res.setHeader("Access-Control-Max-Age", "600");
        res.statusCode = 204;
        return res.end();
      }
    }
    next();
  };
}

const args = parseArgs(process.argv.slice(2));
const dir = path.resolve(args.dir);
fs.mkdirSync(dir, { recursive: true });

const app = express();
app.use(cors(args.corsOrigins));
app.use(
  expressPouchDB(PouchDB.defaults({ prefix: dir + path.sep }), {
    configPath: path.join(dir, "config.json"),
    logPath: path.join(dir, "log.txt"),
    mode: "fullCouchDB",
    overrideMode: { exclude: ["routes/fauxton"] },
  }),
);

const server = app.listen(args.port, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
const sockets = new Set();
server.on("connection", (socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
});

function stop() {
  // Long-poll _changes requests stay open; end them so the process exits now, as a crashed
  // or restarted CouchDB would drop them.
  server.close(() => process.exit(0));
  for (const socket of sockets) socket.destroy();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
