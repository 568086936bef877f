// Service worker: precaches the whole site at install so a reload works with the network cut.
// build_site.py replaces the marker below with VERSION (a hash of every file) and PRECACHE (every file).
/*__PRECACHE__*/

const CACHE = `digits-${VERSION}`;

self.addEventListener("install", (event) => {
  // cache: "no-cache" revalidates every file with the server: unchanged files come back as 304 from the
  // HTTP cache (no second download of the 15 MB the page just loaded), changed ones are fetched fresh, so
  // the precache holds exactly this build's bytes.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "no-cache" }))))
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
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  // Cache first: every file is versioned by the cache name, so a cached copy is never stale within a build.
  // Navigations ignore the query string (?backend=cpu etc.) so the page itself is found offline.
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
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
