// Signing requests to the user's database: HTTP basic auth (CouchDB users, Cloudant legacy API keys)
// or IBM Cloud IAM bearer tokens. Both go through PouchDB's `fetch` option, one mechanism for both.
//
// IAM from a browser: the token endpoint (https://iam.cloud.ibm.com/identity/token) answers without
// CORS headers, so a page on another origin cannot read its reply and the browser reports a network
// error. The token URL is therefore a setting: point it at a token proxy that adds CORS headers
// (devtools/iam_token_proxy.py is one), or use Cloudant legacy credentials with basic auth.

export class AuthError extends Error {
  constructor(reason, message, cause) {
    super(message);
    this.name = "AuthError";
    this.reason = reason; // "iam_unreachable" | "iam_rejected" | "iam_bad_reply"
    if (cause !== undefined) this.cause = cause;
  }
}

export function basicAuthHeader(username, password) {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

/**
 * Exchanges an IAM API key for bearer tokens and keeps one fresh. Like IBM's SDKs, it refreshes once
 * 80% of a token's lifetime has passed, so a token is never used close to its expiry.
 */
export class IamTokenSource {
  constructor({ apiKey, tokenUrl, fetch = globalThis.fetch, now = () => Date.now() }) {
    this.apiKey = apiKey;
    this.tokenUrl = tokenUrl;
    this._fetch = fetch;
    this._now = now;
    this._token = null;
    this._refreshAt = 0;
    this._pending = null;
    this.exchanges = 0; // how many tokens were fetched (tests, diagnostics)
  }

  /** A valid access token, fetched or refreshed when needed (concurrent callers share one request). */
  async token() {
    if (this._token && this._now() < this._refreshAt) return this._token;
    if (!this._pending) {
      this._pending = this._exchange().finally(() => {
        this._pending = null;
      });
    }
    return this._pending;
  }

  /** Forget the token (the database said 401: it may have been revoked). */
  invalidate() {
    this._token = null;
    this._refreshAt = 0;
  }

  async _exchange() {
    const host = new URL(this.tokenUrl).host;
    const body = new URLSearchParams({ grant_type: "urn:ibm:params:oauth:grant-type:apikey", apikey: this.apiKey });
    let res;
    try {
      res = await this._fetch(this.tokenUrl, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: body.toString(),
      });
    } catch (err) {
      throw new AuthError(
        "iam_unreachable",
        `Could not reach the IAM token service at ${host}. Browsers cannot call iam.cloud.ibm.com ` +
          "directly (it sends no CORS headers): set a token proxy URL, or use Cloudant legacy credentials.",
        err,
      );
    }
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new AuthError("iam_rejected", `IAM refused the API key (${res.status}): check that it is an active IBM Cloud API key.`);
    }
    let data;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok || !data || typeof data.access_token !== "string") {
      throw new AuthError("iam_bad_reply", `The IAM token service at ${host} answered ${res.status} without a token.`);
    }
    const issued = this._now();
    const lifetimeMs = 1000 * (Number(data.expires_in) > 0 ? Number(data.expires_in) : 3600);
    this._token = data.access_token;
    this._refreshAt = issued + 0.8 * lifetimeMs;
    this.exchanges++;
    return this._token;
  }
}

/**
 * A fetch for PouchDB's `fetch` option that signs every request per `settings` (validated by
 * settings.js). With IAM, a 401 from the database gets one retry with a fresh token.
 */
export function authorizedFetch(settings, baseFetch = globalThis.fetch, { now } = {}) {
  if (settings.auth === "none") return (url, options = {}) => baseFetch(url, options);
  if (settings.auth === "basic") {
    const header = basicAuthHeader(settings.username, settings.password);
    return (url, options = {}) => {
      const headers = new Headers(options.headers || {});
      headers.set("Authorization", header);
      return baseFetch(url, { ...options, headers });
    };
  }
  const tokens = new IamTokenSource({ apiKey: settings.apiKey, tokenUrl: settings.tokenUrl, fetch: baseFetch, now });
  const signed = async (url, options) => {
    const headers = new Headers(options.headers || {});
    headers.set("Authorization", `Bearer ${await tokens.token()}`);
    return baseFetch(url, { ...options, headers });
  };
  const fetchWithIam = async (url, options = {}) => {
    const res = await signed(url, options);
    if (res.status !== 401) return res;
    tokens.invalidate();
    return signed(url, options);
  };
  fetchWithIam.tokens = tokens;
  return fetchWithIam;
}
