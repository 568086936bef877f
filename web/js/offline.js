// Offline support: register the service worker (web/sw.js), which precaches every file of this build.

/** Resolves true once a service worker controls the site's cache, false when there is none. */
export async function registerServiceWorker({ skip = false } = {}) {
  if (!("serviceWorker" in navigator) || skip) return false;
  try {
    await navigator.serviceWorker.register("sw.js");
    await navigator.serviceWorker.ready;
    return true;
  } catch (err) {
    console.warn("service worker not registered:", err);
    return false;
  }
}
