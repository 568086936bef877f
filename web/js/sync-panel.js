// Sync settings and state: the form for the user's database and credentials, the buttons that turn sync
// on and off, and what SyncController says (off, syncing, up to date, offline, error with the reason).
//
// Settings live only in the history database's _local/ document (history/settings.js): never replicated,
// never exported. Saved secrets are not put back into the form: an empty secret field keeps the saved one
// as long as the database's host and the kind of sign-in stay the same.
import { describeSettings, forgetSettings, loadSettings, saveSettings, SettingsError, validateSettings } from "./history/settings.js";

const CHIP_TEXT = { off: "Sync off", syncing: "Syncing…", up_to_date: "Synced", offline: "Sync: offline", error: "Sync error" };
const SECRET = { basic: "password", iam: "apiKey" };
const FIELD_IDS = { url: "sync-url", auth: "sync-auth", username: "sync-username", password: "sync-password", apiKey: "sync-apikey", tokenUrl: "sync-token-url" };

function sameHost(a, b) {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export class SyncPanel {
  constructor(doc = document) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.el = {
      panel: $("sync-panel"), form: $("sync-form"), state: $("sync-state"), counts: $("sync-counts"), chip: $("sync-chip"),
      error: $("sync-form-error"), auth: $("sync-auth"), on: $("sync-on"), off: $("sync-off"), retry: $("sync-retry"),
      forget: $("sync-forget"),
    };
    this.field = (name) => $(FIELD_IDS[name]);
    this.sync = null;
    this.db = null;
    this.saved = null; // the settings on this device, with secrets: never shown, never logged
    this.el.auth.addEventListener("change", () => this._showAuthFields());
    this._showAuthFields();
    this._setBusy(true);
  }

  /** History is off on this device, so there is nothing to sync. */
  unavailable() {
    this.el.form.querySelectorAll("input, select, button").forEach((el) => (el.disabled = true));
    this.el.state.textContent = "Sync needs the history, which is off on this device.";
  }

  /** sync: a SyncController for the history database `db`. Starts syncing if it was on when the page closed. */
  async attach({ sync, db }) {
    this.sync = sync;
    this.db = db;
    sync.subscribe((state) => this._showState(state));
    this.el.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.turnOn();
    });
    this.el.off.addEventListener("click", () => this.turnOff());
    this.el.retry.addEventListener("click", () => sync.retryNow());
    this.el.forget.addEventListener("click", () => this.forget());
    try {
      this.saved = await loadSettings(db);
    } catch (err) {
      this._formError(null, `The saved sync settings could not be read: ${err.message}`);
    }
    this._fillForm(this.saved);
    this._setBusy(false);
    if (this.saved && this.saved.enabled) {
      try {
        await sync.start(this.saved);
      } catch (err) {
        this._formError(err.field, err.message); // settings saved by an older version that no longer pass
      }
    }
    this._showButtons();
  }

  get enabled() {
    return Boolean(this.saved && this.saved.enabled);
  }

  async turnOn() {
    this._formError(null, "");
    this._setBusy(true);
    try {
      // SettingsError names the field that is wrong; only settings that pass are saved.
      const settings = validateSettings(this._readForm());
      await this.sync.start(settings);
      this.saved = { ...settings, enabled: true };
      await saveSettings(this.db, this.saved);
      this._clearSecrets();
      this._fillForm(this.saved);
    } catch (err) {
      if (err instanceof SettingsError) this._formError(err.field, err.message);
      else this._formError(null, `Sync could not start: ${err.message}`);
    } finally {
      this._setBusy(false);
      this._showButtons();
    }
  }

  async turnOff() {
    this._setBusy(true);
    try {
      await this.sync.stop();
      if (this.saved) {
        this.saved = { ...this.saved, enabled: false };
        await saveSettings(this.db, this.saved);
      }
    } catch (err) {
      this._formError(null, `Could not save that sync is off: ${err.message}`);
    } finally {
      this._setBusy(false);
      this._showButtons();
    }
  }

  async forget() {
    this._setBusy(true);
    try {
      await this.sync.stop();
      await forgetSettings(this.db);
      this.saved = null;
      this.el.form.reset();
      this._fillForm(null);
    } catch (err) {
      this._formError(null, `Could not delete the saved settings: ${err.message}`);
    } finally {
      this._setBusy(false);
      this._showButtons();
    }
  }

  // ---------- the form ----------

  _readForm() {
    const value = (name) => this.field(name).value;
    const auth = value("auth");
    const settings = { url: value("url").trim(), auth };
    if (auth === "basic") Object.assign(settings, { username: value("username"), password: value("password") });
    if (auth === "iam") Object.assign(settings, { apiKey: value("apiKey"), tokenUrl: value("tokenUrl").trim() });
    // An empty secret field means "keep the saved one", for the same sign-in to the same host.
    const secret = SECRET[auth];
    const saved = this.saved;
    if (secret && !settings[secret] && saved && saved.auth === auth && saved[secret] && sameHost(saved.url, settings.url)) {
      settings[secret] = saved[secret];
    }
    return settings;
  }

  _fillForm(saved) {
    const s = describeSettings(saved) || {};
    this.field("url").value = s.url || "";
    this.field("auth").value = s.auth || "basic";
    this.field("username").value = s.username || "";
    this.field("tokenUrl").value = s.tokenUrl || "";
    for (const name of ["password", "apiKey"]) {
      const input = this.field(name);
      input.value = "";
      input.placeholder = s[name] ? "Saved on this device: leave empty to keep" : "";
    }
    this._showAuthFields();
  }

  _clearSecrets() {
    this.field("password").value = "";
    this.field("apiKey").value = "";
  }

  _showAuthFields() {
    const auth = this.el.auth.value;
    for (const fieldset of this.el.form.querySelectorAll(".auth-fields")) fieldset.hidden = fieldset.dataset.auth !== auth;
  }

  _formError(field, text) {
    const error = this.el.error;
    error.textContent = text;
    error.hidden = !text;
    for (const name of Object.keys(FIELD_IDS)) {
      const input = this.field(name);
      if (text && name === field) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-errormessage", error.id);
      } else {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-errormessage");
      }
    }
    if (text && field && FIELD_IDS[field]) this.field(field).focus();
  }

  // Busy from a press of on, off or forget until its settings are saved or deleted: the state may say
  // "off" a moment before the settings are gone.
  _setBusy(busy) {
    for (const b of [this.el.on, this.el.off, this.el.forget]) b.disabled = busy;
    this.el.form.setAttribute("aria-busy", String(busy));
  }

  _showButtons() {
    const on = this.sync && this.sync.state.state !== "off";
    this.el.on.textContent = on ? "Save and reconnect" : "Turn sync on";
    this.el.off.hidden = !on;
    this.el.forget.hidden = !this.saved;
  }

  // ---------- the state ----------

  _showState(s) {
    for (const el of [this.el.state, this.el.chip]) {
      el.dataset.state = s.state;
      el.dataset.reason = s.reason || "";
    }
    this.el.chip.querySelector(".chip-text").textContent = CHIP_TEXT[s.state] || s.state;
    this.el.chip.title = s.message;
    this.el.state.textContent = s.message;
    const parts = [];
    if (s.state !== "off") {
      parts.push(`Sent ${s.pushed}, received ${s.pulled}`);
      if (s.conflictsResolved) parts.push(`${s.conflictsResolved} conflict(s) merged, corrections kept`);
      if (s.throttled) parts.push(`slowed down ${s.throttled} time(s) by the server (429)`);
      if (s.lastSynced) parts.push(`last up to date ${new Date(s.lastSynced).toLocaleTimeString()}`);
    }
    this.el.counts.textContent = parts.join(" · ");
    this.el.retry.hidden = !(s.state === "error" || s.state === "offline");
    this._showButtons();
  }
}
