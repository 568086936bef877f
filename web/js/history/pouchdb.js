// Load the vendored PouchDB build (a classic script that defines window.PouchDB) once, on demand, so
// the page's first paint and the recognizer never wait for it. `src` comes from the site's config.json.
let loading = null;

export function loadPouchDB(src) {
  if (globalThis.PouchDB) return Promise.resolve(globalThis.PouchDB);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = () => (globalThis.PouchDB ? resolve(globalThis.PouchDB) : reject(new Error(`${src} loaded but did not define PouchDB`)));
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    }).catch((err) => {
      loading = null; // let a later call try again
      throw err;
    });
  }
  return loading;
}
