// Retry requests the server rate-limited (HTTP 429, as Cloudant's free plan answers when replication
// sends too much at once): wait (Retry-After when the server gives it, else exponential backoff with
// jitter) and send the same request again. PouchDB sends string bodies, so a request can be repeated.

const sleepReal = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function retryAfterMs(response) {
  const value = response.headers && response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

/**
 * Wrap `baseFetch` so a 429 is retried up to `retries` times. `onThrottle({attempt, waitMs, url})` is
 * told about each wait (the sync state shows it). After the last retry the 429 goes to the caller.
 */
export function retryOn429(baseFetch, { retries = 5, initialMs = 1000, maxMs = 30000, onThrottle = () => {}, sleep = sleepReal, random = Math.random } = {}) {
  return async (url, options = {}) => {
    for (let attempt = 1; ; attempt++) {
      const res = await baseFetch(url, options);
      if (res.status !== 429 || attempt > retries) return res;
      const backoff = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
      const waitMs = Math.min(maxMs, retryAfterMs(res) ?? backoff * (0.5 + random() / 2));
      if (res.body && typeof res.body.cancel === "function") res.body.cancel().catch(() => {});
      onThrottle({ attempt, waitMs, url: String(url) });
      await sleep(waitMs);
    }
  };
}
