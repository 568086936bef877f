// The history panel: one list item per entry, newest first (thumbnail, answer, confidence and status,
// time), marking the true digit(s) of an entry, deleting one or all, and exporting the corrected entries
// as a .npz + .json download. It follows the store: local saves and changes that sync brings in.
import { exportCorrections } from "./history/export.js";
import { parseCorrection } from "./history/entry.js";

const PAGE = 50;
const STATUS_TEXT = { not_a_digit: "not a digit", empty: "nothing found" };
const ENGINE_TEXT = { tfjs: "TF.js", python: "Python" };

function pct(p) {
  return `${Math.round(100 * p)}%`;
}

function capitalize(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** A data: URL as a blob: URL (the page's CSP allows blob: images, not data: ones). */
function dataUrlToObjectUrl(dataUrl) {
  const [head, b64] = dataUrl.split(",", 2);
  const type = head.slice(5, head.indexOf(";"));
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type }));
}

function download(doc, name, blob) {
  const a = doc.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = true;
  doc.body.append(a);
  a.click();
  a.remove();
  // The download has started from the URL; give the browser a moment before letting it go.
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

export class HistoryPanel {
  constructor(doc = document) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.el = {
      card: $("history-card"), title: $("history-title"), list: $("history"), empty: $("history-empty"),
      message: $("history-message"), status: $("history-status"), more: $("history-more"),
      exportButton: $("history-export"), deleteAll: $("history-delete-all"), confirm: $("history-confirm"),
      confirmText: $("history-confirm-text"),
    };
    this.store = null;
    this.items = new Map(); // entry id -> {li, rev, thumbUrl}
    this.limit = PAGE;
    this.refreshing = null;
    this.refreshAgain = false;
    this.syncOn = () => false; // set by history-start.js: whether deletions will also reach a database
    this.ids = 0;
    this.el.exportButton.disabled = true;
    this.el.deleteAll.disabled = true;
    // The page's Escape/Delete shortcuts clear the pad; inside the history they mean nothing of the sort.
    this.el.card.addEventListener("keydown", (e) => {
      if (e.key === "Escape" || e.key === "Delete") e.stopPropagation();
    });
  }

  // ---------- state of the whole panel ----------

  /** History cannot be used on this device (no IndexedDB, PouchDB missing): say why, keep the page working. */
  unavailable(message) {
    this.el.card.dataset.available = "false";
    this.showMessage(message);
    this.el.empty.textContent = "History is off on this device.";
    this.el.exportButton.disabled = true;
    this.el.deleteAll.disabled = true;
  }

  showMessage(text, kind = "error") {
    const m = this.el.message;
    m.textContent = text;
    m.dataset.kind = kind;
    m.hidden = !text;
  }

  /** A short spoken/visible confirmation of what just happened. */
  announce(text) {
    this.el.status.textContent = text;
  }

  attach(store) {
    this.store = store;
    this.el.card.dataset.available = "true";
    this.el.exportButton.addEventListener("click", () => this.exportCorrections());
    this.el.deleteAll.addEventListener("click", () => this.confirmDeleteAll());
    this.el.more.addEventListener("click", () => {
      this.limit += PAGE;
      this.refresh();
    });
    this.el.confirm.addEventListener("close", () => {
      if (this.el.confirm.returnValue === "delete") this.deleteAll();
      else this.el.deleteAll.focus();
    });
    store.onChange(() => this.refresh());
    return this.refresh();
  }

  // ---------- the list ----------

  /** Re-read the newest entries and bring the list in line, keeping open correction forms as they are. */
  refresh() {
    if (this.refreshing) {
      this.refreshAgain = true; // changes arrive in bursts (sync): one more pass after this one
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          const entries = await this.store.list({ limit: this.limit + 1 });
          this._render(entries.slice(0, this.limit), entries.length > this.limit);
        } while (this.refreshAgain);
      } catch (err) {
        this.showMessage(err.message);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  _render(entries, more) {
    const list = this.el.list;
    const keep = new Set(entries.map((e) => e._id));
    for (const [id, item] of this.items) {
      if (!keep.has(id)) {
        if (item.thumbUrl) URL.revokeObjectURL(item.thumbUrl);
        if (item.li.contains(this.doc.activeElement)) this._focusAfterRemoval(item.li);
        item.li.remove();
        this.items.delete(id);
      }
    }
    entries.forEach((entry, index) => {
      let item = this.items.get(entry._id);
      if (!item) {
        item = this._createItem(entry);
        this.items.set(entry._id, item);
      }
      if (item.rev !== entry._rev) this._fill(item, entry);
      // Insert only where the order differs, so a focused item (or an open form) is never moved needlessly.
      if (list.children[index] !== item.li) list.insertBefore(item.li, list.children[index] || null);
    });
    const n = entries.length;
    this.el.empty.hidden = n > 0;
    this.el.more.hidden = !more;
    this.el.deleteAll.disabled = n === 0;
    this.el.exportButton.disabled = n === 0;
    this.el.card.dataset.count = String(n);
  }

  _focusAfterRemoval(li) {
    const next = li.nextElementSibling || li.previousElementSibling;
    const target = next ? next.querySelector(".entry-correct") : this.el.title;
    // After the removal, or the browser drops focus to <body>.
    setTimeout(() => target.focus(), 0);
  }

  _createItem(entry) {
    const doc = this.doc;
    const n = ++this.ids;
    const li = doc.createElement("li");
    li.className = "entry";
    li.dataset.testid = "history-entry";
    li.innerHTML = `
      <img class="thumb" alt="" width="64" height="64" hidden>
      <div class="entry-main">
        <p class="entry-line"><span class="entry-answer"></span> <span class="entry-conf"></span></p>
        <p class="entry-meta"><time></time> <span class="entry-how"></span></p>
        <p class="entry-correction" hidden></p>
      </div>
      <div class="entry-tools">
        <button type="button" class="entry-correct" aria-expanded="false" aria-controls="entry-form-${n}">Mark true digit</button>
        <button type="button" class="entry-delete icon-button">
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6h18"/><path d="M8 6V4h8v2"/><path d="M6 6l1 14h10l1-14"/></svg>
        </button>
      </div>
      <form class="entry-form" id="entry-form-${n}" hidden novalidate>
        <label for="entry-input-${n}">True digit(s)</label>
        <input id="entry-input-${n}" class="entry-input" inputmode="numeric" autocomplete="off" enterkeyhint="done"
               maxlength="40" aria-describedby="entry-error-${n}" spellcheck="false">
        <button type="submit" class="primary">Save</button>
        <button type="button" class="entry-cancel">Cancel</button>
        <p class="entry-error" id="entry-error-${n}" hidden></p>
      </form>`;
    const item = { li, rev: null, thumbUrl: null, thumb: null, id: entry._id };
    const q = (sel) => li.querySelector(sel);
    const form = q(".entry-form");
    const input = q(".entry-input");
    const toggle = q(".entry-correct");
    toggle.addEventListener("click", () => this._toggleForm(item, form.hidden));
    q(".entry-cancel").addEventListener("click", () => this._toggleForm(item, false));
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation(); // Escape here closes the form; it must not clear the pad too
        this._toggleForm(item, false);
      }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._saveCorrection(item, input.value);
    });
    q(".entry-delete").addEventListener("click", () => this._delete(item));
    return item;
  }

  _fill(item, entry) {
    const { li } = item;
    const q = (sel) => li.querySelector(sel);
    item.rev = entry._rev;
    item.entry = entry;
    li.dataset.id = entry._id;
    li.dataset.answer = entry.answer;
    li.dataset.status = entry.status;
    li.dataset.source = entry.source;
    li.dataset.corrected = entry.correction ? entry.correction.digits : "";
    const answer = entry.answer || (entry.status === "not_a_digit" ? "✕" : "–");
    q(".entry-answer").textContent = answer;
    const conf = entry.confidence == null ? "" : pct(entry.confidence);
    q(".entry-conf").textContent = entry.status === "ok" ? conf : entry.status === "unsure" ? `unsure · ${conf}` : STATUS_TEXT[entry.status] || entry.status;
    const time = q("time");
    const when = new Date(entry.created);
    time.dateTime = entry.created;
    time.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    q(".entry-how").textContent = `· ${entry.source === "upload" ? "upload" : "drawing"} · ${ENGINE_TEXT[entry.engine] || entry.engine}`;
    const corr = q(".entry-correction");
    corr.hidden = !entry.correction;
    if (entry.correction) {
      const digits = entry.correction.digits;
      const read = (entry.digits || []).length;
      const usable = digits.length === read && (entry.digits || []).every((d) => d.image28);
      corr.textContent = `✓ Marked as ${digits}` + (usable ? "" : ` (not exportable: the reading found ${read} digit${read === 1 ? "" : "s"})`);
    }
    li.classList.toggle("corrected", Boolean(entry.correction));
    const label = `${entry.source === "upload" ? "upload" : "drawing"} read as ${answer}, ${time.textContent}`;
    q(".entry-correct").textContent = entry.correction ? "Change" : "Mark true digit";
    q(".entry-correct").setAttribute("aria-label", `${entry.correction ? "Change the true digit" : "Mark the true digit"} of the ${label}`);
    q(".entry-delete").setAttribute("aria-label", `Delete the ${label}`);
    if (entry.thumbnail !== item.thumb) {
      if (item.thumbUrl) URL.revokeObjectURL(item.thumbUrl);
      item.thumb = entry.thumbnail;
      item.thumbUrl = entry.thumbnail ? dataUrlToObjectUrl(entry.thumbnail) : null;
      const img = q(".thumb");
      img.hidden = !item.thumbUrl;
      if (item.thumbUrl) img.src = item.thumbUrl;
      else img.removeAttribute("src");
    }
  }

  _toggleForm(item, open) {
    const q = (sel) => item.li.querySelector(sel);
    const form = q(".entry-form");
    form.hidden = !open;
    q(".entry-correct").setAttribute("aria-expanded", String(open));
    this._formError(item, "");
    if (open) {
      const input = q(".entry-input");
      input.value = item.entry.correction ? item.entry.correction.digits : "";
      input.focus();
      input.select();
    } else {
      q(".entry-correct").focus();
    }
  }

  _formError(item, text) {
    const error = item.li.querySelector(".entry-error");
    const input = item.li.querySelector(".entry-input");
    error.textContent = text;
    error.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  async _saveCorrection(item, text) {
    let digits;
    try {
      digits = parseCorrection(text);
    } catch (err) {
      this._formError(item, capitalize(err.message) + ".");
      item.li.querySelector(".entry-input").focus();
      return;
    }
    try {
      await this.store.correct(item.id, digits);
    } catch (err) {
      this._formError(item, err.message);
      return;
    }
    this._toggleForm(item, false);
    this.announce(`Marked as ${digits}.`);
    await this.refresh();
  }

  async _delete(item) {
    try {
      await this.store.remove(item.id);
      this.announce("Entry deleted.");
    } catch (err) {
      this.showMessage(err.message);
    }
    await this.refresh();
  }

  // ---------- delete all, export ----------

  async confirmDeleteAll() {
    let n;
    try {
      n = await this.store.count();
    } catch (err) {
      this.showMessage(err.message);
      return;
    }
    this.el.confirmText.textContent =
      `All ${n} entr${n === 1 ? "y" : "ies"}, corrections included, will be deleted from this device` +
      (this.syncOn() ? " and from the synced database." : ". This cannot be undone.") +
      " Export the corrections first if you want to keep them.";
    if (this.el.confirm.open) return; // a second click while the question is up
    this.el.confirm.returnValue = "";
    this.el.confirm.showModal();
  }

  async deleteAll() {
    try {
      const n = await this.store.clear();
      this.announce(`Deleted ${n} entr${n === 1 ? "y" : "ies"}.`);
      this.showMessage("");
    } catch (err) {
      this.showMessage(err.message);
    }
    await this.refresh();
    this.el.title.focus();
  }

  async exportCorrections() {
    let out;
    try {
      out = exportCorrections(await this.store.listAll());
    } catch (err) {
      this.showMessage(`Export failed: ${err.message}`);
      return null;
    }
    const skipped = out.provenance.skipped.length;
    const left = `${skipped} corrected entr${skipped === 1 ? "y" : "ies"}`;
    if (!out.count) {
      this.showMessage(skipped
        ? `Nothing to export: the ${left} cannot be used (the true digits do not pair up with the digits that were read).`
        : "Nothing to export yet: mark the true digit of an entry first.", "info");
      return out;
    }
    const why = skipped ? ` ${left} left out: see the .json file for why.` : "";
    download(this.doc, out.names.npz, new Blob([out.npz], { type: "application/octet-stream" }));
    download(this.doc, out.names.json, new Blob([JSON.stringify(out.provenance, null, 2) + "\n"], { type: "application/json" }));
    this.showMessage(`Exported ${out.count} corrected digit${out.count === 1 ? "" : "s"}: ${out.names.npz} and ${out.names.json}.${why}`, "info");
    return out;
  }
}
