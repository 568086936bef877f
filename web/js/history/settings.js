// Sync settings: where the user's own CouchDB/Cloudant database is and how to sign in to it.
//
// They are kept on this device only, in a `_local/` document of the history database: CouchDB's
// replication protocol never copies `_local/` documents, allDocs and the changes feed never list
// them, so they cannot reach the server, another device or an export. Nothing here logs them;
// `describeSettings` is the form to show or log.
export const SETTINGS_ID = "_local/sync-settings";
export const IAM_TOKEN_URL = "https://iam.cloud.ibm.com/identity/token";
export const AUTH_KINDS = ["none", "basic", "iam"];

export class SettingsError extends Error {
  constructor(field, message) {
    super(message);
    this.name = "SettingsError";
    this.field = field; // which input to point at: "url", "username", "password", "apiKey", "tokenUrl", "auth"
  }
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
// CouchDB database names: a lowercase letter first, then lowercase letters, digits and _$()+-/
const DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/;

function checkHttpUrl(field, text, example) {
  let url;
  try {
    url = new URL(String(text || "").trim());
  } catch {
    throw new SettingsError(field, `Not a web address: enter one like ${example}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new SettingsError(field, `The address must start with https:// (like ${example})`);
  }
  if (url.protocol === "http:" && !LOCAL_HOSTS.has(url.hostname)) {
    throw new SettingsError(field, "Use https://: plain http:// is only allowed for a database on this computer (localhost or 127.0.0.1)");
  }
  if (url.username || url.password) {
    throw new SettingsError(field, "Leave credentials out of the address: put them in the fields for them");
  }
  if (url.search || url.hash) throw new SettingsError(field, "The address must not have a ?query or #fragment");
  return url;
}

/** Check the database URL; returns it normalized (no trailing slash) with the database name. */
export function parseDatabaseUrl(text) {
  const example = "https://ACCOUNT.cloudant.com/digits";
  const url = checkHttpUrl("url", text, example);
  const segments = url.pathname.split("/").filter(Boolean);
  if (!segments.length) throw new SettingsError("url", `Add the database name to the address, like ${example}`);
  const name = decodeURIComponent(segments[segments.length - 1]);
  if (!DB_NAME.test(name)) {
    throw new SettingsError("url", `"${name}" is not a CouchDB database name: lowercase letters, digits and _$()+-/ only, starting with a letter`);
  }
  return { url: `${url.origin}/${segments.join("/")}`, origin: url.origin, host: url.host, database: name };
}

/**
 * Validate settings from the form. Returns the normalized object to save and use:
 *   {url, auth: "none"|"basic"|"iam", username?, password?, apiKey?, tokenUrl?}
 * "basic" covers a CouchDB user and password and Cloudant legacy credentials (API key as user name,
 * with its password). "iam" is an IBM Cloud IAM API key exchanged for bearer tokens at tokenUrl.
 */
export function validateSettings(input) {
  const s = input || {};
  const { url } = parseDatabaseUrl(s.url);
  const auth = s.auth || "basic";
  if (!AUTH_KINDS.includes(auth)) throw new SettingsError("auth", `Unknown sign-in kind "${auth}"`);
  if (auth === "none") return { url, auth };
  if (auth === "basic") {
    const username = String(s.username || "").trim();
    const password = String(s.password || "");
    if (!username) throw new SettingsError("username", "Enter the user name (or the Cloudant legacy API key)");
    if (!password) throw new SettingsError("password", "Enter the password");
    if (username.includes(":")) throw new SettingsError("username", "A user name cannot contain ':'");
    return { url, auth, username, password };
  }
  const apiKey = String(s.apiKey || "").trim();
  if (!apiKey) throw new SettingsError("apiKey", "Enter the IBM Cloud IAM API key");
  const tokenUrl = checkHttpUrl("tokenUrl", s.tokenUrl || IAM_TOKEN_URL, IAM_TOKEN_URL).href;
  return { url, auth, apiKey, tokenUrl };
}

/** Settings with secrets masked: the only form that may be shown, logged or put in a bug report. */
export function describeSettings(settings) {
  if (!settings) return null;
  const out = { ...settings };
  for (const key of ["password", "apiKey"]) if (out[key]) out[key] = "•••";
  return out;
}

/** Saved settings ({enabled, ...validated settings}) or null. */
export async function loadSettings(db) {
  try {
    const doc = await db.get(SETTINGS_ID);
    const settings = { ...doc };
    delete settings._id;
    delete settings._rev;
    return settings;
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

export async function saveSettings(db, settings) {
  const doc = { _id: SETTINGS_ID, ...settings };
  try {
    doc._rev = (await db.get(SETTINGS_ID))._rev;
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  await db.put(doc);
}

export async function forgetSettings(db) {
  try {
    await db.remove(await db.get(SETTINGS_ID));
  } catch (err) {
    if (err.status !== 404) throw err;
  }
}
