// Drawing pad: pointer events (mouse, touch, pen), smooth round strokes, undo/clear.
// Strokes are stored in pad-relative coordinates (0..1), so a resize or rotation redraws them crisply
// and the stroke width stays a fixed fraction of the pad, whatever its size on screen.
import { KNOCKOUT, strokeGroups } from "./stroke-groups.js";

// Stroke width as a fraction of the pad side. A digit drawn to fill most of the pad then ends up with
// strokes about 2-3 px wide after it is scaled into MNIST's 20x20 box, like MNIST's own pen strokes.
export const STROKE_FRACTION = 0.065;
const INK = "#111111";
const PAPER = "#ffffff";

export class DrawingPad {
  constructor(canvas, { onStrokeEnd, onChange } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.strokes = [];
    this.current = null;
    this.pointerId = null;
    this.onStrokeEnd = onStrokeEnd || (() => {});
    this.onChange = onChange || (() => {});
    this._bind();
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  get isEmpty() {
    return this.strokes.length === 0 && !this.current;
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.max(1, Math.round(rect.width * dpr));
    const h = Math.max(1, Math.round(rect.height * dpr));
    if (w !== this.canvas.width || h !== this.canvas.height) {
      this.canvas.width = w;
      this.canvas.height = h;
      this.redraw();
    }
  }

  clear() {
    this.strokes = [];
    this.current = null;
    this.redraw();
    this.onChange();
  }

  undo() {
    if (!this.strokes.length) return false;
    this.strokes.pop();
    this.redraw();
    this.onChange();
    return true;
  }

  /** Add a stroke programmatically (pad-relative points); used by tests and demos. */
  addStroke(points) {
    this.strokes.push(points.map(([x, y]) => ({ x, y })));
    this.redraw();
    this.onChange();
    this.onStrokeEnd();
  }

  _lineWidth() {
    return Math.max(2, STROKE_FRACTION * Math.min(this.canvas.width, this.canvas.height));
  }

  redraw() {
    const { ctx, canvas } = this;
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (const s of this.strokes) this._drawStroke(s);
    if (this.current) this._drawStroke(this.current);
  }

  // Quadratic curves through the midpoints of successive samples: smooth lines without lag.
  _drawStroke(points, ctx = this.ctx, colour = INK, width = this._lineWidth()) {
    const W = this.canvas.width;
    const H = this.canvas.height;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = width;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0].x * W, points[0].y * H, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0].x * W, points[0].y * H);
    for (let i = 1; i < points.length - 1; i++) {
      const mx = (points[i].x + points[i + 1].x) / 2;
      const my = (points[i].y + points[i + 1].y) / 2;
      ctx.quadraticCurveTo(points[i].x * W, points[i].y * H, mx * W, my * H);
    }
    const last = points[points.length - 1];
    ctx.lineTo(last.x * W, last.y * H);
    ctx.stroke();
  }

  _point(e) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width)),
      y: Math.min(1, Math.max(0, (e.clientY - rect.top) / rect.height)),
    };
  }

  _bind() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 && e.pointerType === "mouse") return;
      if (this.pointerId !== null) return; // one stroke at a time: ignore a second finger
      e.preventDefault();
      this.pointerId = e.pointerId;
      try { c.setPointerCapture(e.pointerId); } catch { /* synthetic pointers cannot always be captured */ }
      this.current = [this._point(e)];
      this.redraw();
      this.onChange();
    });
    c.addEventListener("pointermove", (e) => {
      if (e.pointerId !== this.pointerId || !this.current) return;
      e.preventDefault();
      // Coalesced events keep fast strokes smooth on high-rate pens and touch screens.
      const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
      for (const ev of events.length ? events : [e]) this.current.push(this._point(ev));
      this.redraw();
    });
    const end = (e) => {
      if (e.pointerId !== this.pointerId) return;
      this.pointerId = null;
      if (!this.current) return;
      this.strokes.push(this.current);
      this.current = null;
      this.redraw();
      this.onChange();
      this.onStrokeEnd();
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    // Stop touch scrolling/zooming and the iOS callout even where touch-action is not honoured.
    c.addEventListener("touchstart", (e) => e.preventDefault(), { passive: false });
    c.addEventListener("contextmenu", (e) => e.preventDefault());
  }

  /**
   * What the reader is given, as RGBA (dark ink on white) at the pad's backing resolution: the finished
   * strokes redrawn digit by digit (stroke-groups.js), each digit first clearing a band KNOCKOUT line widths
   * wide around its strokes, so digits written touching arrive apart. An underline under several digits,
   * touching them or not, is left out (stroke-groups.js, UNDERLINE). A single digit is drawn as on the pad.
   */
  readingImageData() {
    const { width, height } = this.canvas;
    if (!this.reading) this.reading = document.createElement("canvas");
    const canvas = this.reading;
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, width, height);
    const line = this._lineWidth();
    const half = { x: line / 2 / width, y: line / 2 / height };
    for (const group of strokeGroups(this.strokes, half).digits) {
      for (const i of group) this._drawStroke(this.strokes[i], ctx, PAPER, line * (1 + 2 * KNOCKOUT));
      for (const i of group) this._drawStroke(this.strokes[i], ctx, INK, line);
    }
    return ctx.getImageData(0, 0, width, height);
  }
}
