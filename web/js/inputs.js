// Where inputs come from: the drawing pad, the file picker, drag-and-drop, paste, and the keyboard
// shortcuts and buttons that edit them. Each finished input becomes grey pixels (at most MAX_SIDE per
// side) handed to the controller; bad files become a message, never a half-changed page.
import { blobToGray, InputError } from "./decode-image.js";
import { DrawingPad } from "./pad.js";
import { rgbaToSmallGray } from "./preprocess.js";

export class Inputs {
  constructor({ doc = document, controller, view }) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.controller = controller;
    this.view = view;
    this.preview = $("upload-preview");
    this.zone = $("drop-zone");
    this.uploadSeq = 0; // a slow decode that was overtaken by a newer upload is dropped
    this.pad = new DrawingPad($("pad"), { onStrokeEnd: () => this._strokeEnd(), onChange: () => this._padChanged() });
    this._bind($);
  }

  _bind($) {
    const upload = $("upload");
    upload.addEventListener("change", () => {
      const file = upload.files && upload.files[0];
      if (file) this.useBlob(file, file.name);
      upload.value = ""; // choosing the same file again still fires "change"
    });

    const zone = this.zone;
    let depth = 0;
    zone.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; zone.classList.add("dragging"); });
    zone.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; zone.classList.remove("dragging"); } });
    zone.addEventListener("dragover", (e) => e.preventDefault());
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      zone.classList.remove("dragging");
      const file = e.dataTransfer && e.dataTransfer.files[0];
      if (file) this.useBlob(file, file.name);
      else this.view.showMessage("Drop an image file (PNG, JPEG, GIF, WebP or BMP).");
    });
    // A drop that misses the pad must not navigate away from the page.
    const win = this.doc.defaultView;
    win.addEventListener("dragover", (e) => e.preventDefault());
    win.addEventListener("drop", (e) => e.preventDefault());

    this.doc.addEventListener("paste", (e) => {
      const dt = e.clipboardData;
      if (!dt) return;
      // Only file items are read: pasted text (however huge) is never loaded into memory here.
      const file = [...dt.files].find((f) => f.type.startsWith("image/")) || dt.files[0];
      e.preventDefault();
      if (file) this.useBlob(file, file.name || "pasted image");
      else this.view.showMessage("The clipboard holds no image. Copy an image (not text or a link) and paste again.");
    });

    this.doc.addEventListener("keydown", (e) => {
      if (e.target instanceof HTMLSelectElement || e.target instanceof HTMLInputElement) return;
      if (e.key === "Escape" || e.key === "Delete") {
        e.preventDefault();
        this.clear();
      } else if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === "z") {
        e.preventDefault();
        this.undo();
      }
    });
    $("clear").addEventListener("click", () => this.clear());
    $("undo").addEventListener("click", () => this.undo());
  }

  /** Decode an uploaded, dropped or pasted image, show it and recognize it. */
  async useBlob(blob, name) {
    const mine = ++this.uploadSeq;
    this.view.showMessage("");
    try {
      const res = await blobToGray(blob, name);
      if (mine !== this.uploadSeq) return URL.revokeObjectURL(res.previewUrl);
      this.pad.strokes = [];
      this.pad.redraw();
      this._hidePreview();
      this.preview.src = res.previewUrl;
      this.preview.alt = `Uploaded image: ${name}`;
      this.preview.hidden = false;
      this.zone.classList.add("has-ink");
      await this.controller.setInput({ gray: res.gray, width: res.width, height: res.height, source: "upload", frame: res.frame });
    } catch (err) {
      if (mine !== this.uploadSeq) return;
      this.view.showMessage(err instanceof InputError ? err.message : `That image could not be used: ${err.message}`);
    }
  }

  clear() {
    this._hidePreview();
    this.view.showMessage("");
    this.pad.clear();
  }

  undo() {
    if (!this.preview.hidden) return this.clear();
    if (this.pad.undo()) this._strokeEnd(); // the pad changed: recognize what is left
  }

  _hidePreview() {
    const img = this.preview;
    if (!img.hidden) {
      img.hidden = true;
      if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
      img.removeAttribute("src");
    }
  }

  _padChanged() {
    if (!this.pad.isEmpty) this._hidePreview();
    this.zone.classList.toggle("has-ink", !this.pad.isEmpty || !this.preview.hidden);
    if (this.pad.isEmpty && this.preview.hidden) this.controller.setInput(null);
  }

  _strokeEnd() {
    this.view.showMessage("");
    if (this.pad.isEmpty) {
      this.controller.setInput(null);
      return;
    }
    const { data, width, height } = this.pad.readingImageData();
    const small = rgbaToSmallGray(data, width, height);
    this.controller.setInput({ ...small, source: "pad" });
  }
}
