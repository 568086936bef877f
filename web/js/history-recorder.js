// When an answer becomes a history entry. Fed by the controller with every answer the page shows and the
// input it answered; no DOM, so the rules can be tested on their own.
//
//   drawing  one entry per drawing: saved once the user pauses (PAUSE_MS without a new stroke) or clears
//            the pad; strokes after that update the same entry. A new drawing starts after a clear (or
//            an upload, which replaces the drawing).
//   upload   saved as soon as its answer arrives; a region the user then chooses on it (or "Automatic")
//            updates that entry.
// An answer for an input that was already saved (the engine was switched, Python finished loading) is
// not saved again: the entry keeps what was answered when the user finished. A blank pad or an image
// with nothing in it ("empty") is not kept.

export const PAUSE_MS = 2000;

export class HistoryRecorder {
  /**
   * store: a HistoryStore (add/update), or a promise of one (answers given while it opens are kept).
   * modelSha256(): the weights' sha256. thumbnail(input): a small data: URL of the input, or null.
   * onSaved(entry, {created}) and onError(err) report to the page.
   */
  constructor({ store, modelSha256 = () => null, thumbnail = () => null, onSaved = () => {}, onError = () => {},
    pauseMs = PAUSE_MS, timers = globalThis }) {
    this.store = Promise.resolve(store);
    this.store.catch(() => {}); // a store that never opens: each save reports why to onError
    this.modelSha256 = modelSha256;
    this.thumbnail = thumbnail;
    this.onSaved = onSaved;
    this.onError = onError;
    this.pauseMs = pauseMs;
    this.timers = timers;
    this.session = null; // {source, input, entryId, savedInput, pending: {result, input} | null}
    this.timer = null;
    this.queue = Promise.resolve(); // saves run one after another, so an update follows its add
  }

  /** The controller showed `result` for `input` (null when the pad was cleared). */
  onResult(result, input) {
    if (!input) {
      this._endSession();
      return;
    }
    const sameDrawing = this.session && input.source === "pad" && this.session.source === "pad";
    // A region the user chose on an upload (region-crop.js) is still that upload: its entry keeps the latest.
    const image = (i) => (i.region ? i.region.source : i);
    const sameUpload = this.session && image(input) === image(this.session.input);
    if (!this.session || (this.session.input !== input && !sameDrawing && !sameUpload)) {
      this._endSession();
      this.session = { source: input.source, input, entryId: null, savedInput: null, pending: null };
    }
    const session = this.session;
    session.input = input;
    if (input === session.savedInput) return; // the same input answered again
    session.pending = { result, input };
    if (input.source === "upload") this._save(session);
    else this._restartTimer();
  }

  /** A stroke began: the user is still drawing, so the pause starts again when it ends. */
  strokeStarted() {
    this._clearTimer();
  }

  /** Save what is pending now (the page is being hidden); resolves when every save so far has finished. */
  flush() {
    if (this.session && this.session.pending) this._save(this.session);
    this._clearTimer();
    return this.queue;
  }

  _endSession() {
    this._clearTimer();
    if (this.session && this.session.pending) this._save(this.session);
    this.session = null;
  }

  _restartTimer() {
    this._clearTimer();
    const session = this.session;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      if (session === this.session && session.pending) this._save(session);
    }, this.pauseMs);
  }

  _clearTimer() {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  _save(session) {
    const { result, input } = session.pending;
    session.pending = null;
    if (result.status === "empty") return;
    session.savedInput = input;
    const reading = this._reading(result, input);
    this.queue = this.queue.then(async () => {
      try {
        const store = await this.store;
        let entry = null;
        if (session.entryId) {
          try {
            entry = await store.update(session.entryId, reading);
          } catch (err) {
            // Deleted meanwhile (here, or on another device through sync): the drawing gets a new entry.
            if (!err || err.kind !== "not_found") throw err;
          }
        }
        const created = !entry;
        if (created) entry = await store.add(reading);
        session.entryId = entry._id;
        this.onSaved(entry, { created });
      } catch (err) {
        this.onError(err);
      }
    });
  }

  _reading(result, input) {
    // A number (several digits) carries each digit's reading in `digits`; a single digit is the result itself.
    const digits = Array.isArray(result.digits) && result.digits.length ? result.digits : null;
    let thumbnail;
    try {
      thumbnail = this.thumbnail(input);
    } catch {
      thumbnail = null; // an entry without a picture is still worth keeping
    }
    return {
      ...(digits ? { digits } : { prediction: result }),
      engine: result.engine,
      model_sha256: this.modelSha256(),
      source: input.source,
      thumbnail,
    };
  }
}
