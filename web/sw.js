// Service worker: precaches the whole site at install so a reload works with the network cut.
// build_site.py replaces the marker below with VERSION (a hash of every file) and PRECACHE (every file).
/*__PRECACHE__*/

const CACHE = `digits-${VERSION}`;
const SCOPE = new URL(self.registration.scope);
// The folder URL ("./") is stored as index.html's response: on a path-style bucket URL
// (https://host/bucket/) the folder itself is the bucket listing, not the page.
const FILES = PRECACHE.filter((url) => url !== "./");
// Only these paths are answered from the cache; everything else (a sync database, even on this origin)
// goes to the network untouched.
const PRECACHED = new Set(PRECACHE.map((url) => new URL(url, SCOPE).pathname));

self.addEventListener("install", (event) => {
  // cache: "no-cache" revalidates every file with the server: unchanged files come back as 304 from the
  // HTTP cache (no second download of what the page just loaded), changed ones are fetched fresh, so
  // the precache holds exactly this build's bytes.
  event.waitUntil(
    caches
      .open(CACHE)
      .then(async (cache) => {
        await cache.addAll(FILES.map((url) => new Request(url, { cache: "no-cache" })));
        const page = await cache.match("index.html");
        if (page) await cache.put("./", page);
      })
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("digits-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !PRECACHED.has(url.pathname)) return;
  // Cache first: every file is versioned by the cache name, so a cached copy is never stale within a build.
  // Navigations ignore the query string (?backend=cpu etc.) so the page itself is found offline. Vary is
  // ignored: a host with CORS rules sends "Vary: Origin", and module scripts are requested with an Origin
  // header that the precache requests did not carry.
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(request, { ignoreSearch: request.mode === "navigate", ignoreVary: true });
      if (hit) return hit;
      try {
        return await fetch(request);
      } catch (err) {
        if (request.mode === "navigate") {
          const page = await cache.match("./");
          if (page) return page;
        }
        throw err;
      }
    }),
  );
});
