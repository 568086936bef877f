// Time the page's JavaScript preprocessing in Node, step by step as the page runs it:
//   photo:   rgbaToSmallGray (the decoded pixels, 1000x1000, to grey reduced to 250x250) -> preprocessGray
//   drawing: rgbaToSmallGray (the pad, 252x252: grey only) -> preprocessGray
// Decoding and the TF.js forward pass (about 1 ms on the wasm backend) are not included.
//
//   node devtools/bench_preprocess.mjs [--runs 40]
//
// The images are drawn here (deterministic): a photo of a 5 in blue ballpoint on ruled paper with a red
// margin, uneven light, a shadow, sensor noise and a neighbour's fragment at the edge; and a 7 drawn on
// the pad. Prints the median and 90th percentile of each step in milliseconds, and what was found.
import { preprocessGray, rgbaToSmallGray } from "../web/js/preprocess.js";

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Coverage (0..1) of a round pen of radius r along a polyline, anti-aliased over one pixel. */
function penMask(w, h, points, r) {
  const m = new Float64Array(w * h);
  for (let i = 0; i + 1 < points.length; i++) {
    const [ax, ay] = points[i];
    const [bx, by] = points[i + 1];
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
    const x1 = Math.min(w - 1, Math.ceil(Math.max(ax, bx) + r + 1));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
    const y1 = Math.min(h - 1, Math.ceil(Math.max(ay, by) + r + 1));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy || 1;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
        const d = Math.hypot(x - ax - t * dx, y - ay - t * dy);
        const c = Math.max(0, Math.min(1, r + 0.5 - d));
        if (c > m[y * w + x]) m[y * w + x] = c;
      }
    }
  }
  return m;
}

function photo(w, h) {
  const rand = rng(7);
  const paper = [235, 230, 218];
  const rgb = new Float64Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const light = 1 - 0.15 * (x / w) - 0.05 * (y / h);
      const shadow = 1 - 0.4 / (1 + Math.exp(-(x + 0.6 * y - 1.1 * w) / 40)); // a hand's soft shadow
      for (let c = 0; c < 3; c++) rgb[3 * (y * w + x) + c] = paper[c] * light * shadow;
    }
  }
  const ink = (mask, colour) => {
    for (let i = 0; i < w * h; i++) {
      const a = mask[i];
      if (a > 0) for (let c = 0; c < 3; c++) rgb[3 * i + c] = rgb[3 * i + c] * (1 - a) + colour[c] * a;
    }
  };
  for (let y = 90; y < h; y += 70) ink(penMask(w, h, [[0, y], [w, y + 6]], 1.2), [140, 165, 215]); // ruled
  ink(penMask(w, h, [[150, 0], [154, h]], 1.5), [205, 70, 70]); // margin
  const five = [[620, 300], [440, 300], [420, 480], [520, 450], [620, 520], [630, 640], [540, 720], [420, 690]];
  ink(penMask(w, h, five, 6), [30, 45, 120]);
  ink(penMask(w, h, [[985, 420], [930, 500], [960, 640]], 6), [30, 45, 120]); // the neighbour, cut
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const n = (rand() - 0.5) * 10;
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = rgb[3 * i + c] + n + (rand() - 0.5) * 4;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

function drawing(side) {
  const s = side / 252;
  const seven = [[50, 55], [200, 50], [120, 210]].map(([x, y]) => [x * s, y * s]);
  const mask = penMask(side, side, seven, (0.065 * side) / 2);
  const rgba = new Uint8ClampedArray(side * side * 4);
  for (let i = 0; i < side * side; i++) {
    const v = 255 - (255 - 17) * mask[i];
    rgba.fill(v, 4 * i, 4 * i + 3);
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

function time(fn, runs) {
  for (let i = 0; i < 5; i++) fn(); // warm-up: the JIT compiles the hot loops
  const times = [];
  let out;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    out = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)], p90: times[Math.floor(runs * 0.9)], out };
}

const args = process.argv.slice(2);
const runs = args[0] === "--runs" ? Number(args[1]) : 40;
const rows = [];
const row = (name, r) => rows.push([name, r.median.toFixed(2), r.p90.toFixed(2)]);

const W = 1000;
const rgba = photo(W, W);
const red = time(() => rgbaToSmallGray(rgba, W, W), runs);
const pre = time(() => preprocessGray(red.out.gray, red.out.width, red.out.height), runs);
const all = time(() => {
  const small = rgbaToSmallGray(rgba, W, W);
  return preprocessGray(small.gray, small.width, small.height);
}, runs);
row(`photo ${W}x${W}: rgbaToSmallGray -> ${red.out.width}x${red.out.height}`, red);
row("photo: preprocessGray", pre);
row("photo: both", all);

const S = 252;
const pad = drawing(S);
const dAll = time(() => {
  const small = rgbaToSmallGray(pad, S, S);
  return preprocessGray(small.gray, small.width, small.height);
}, runs);
row(`drawing ${S}x${S}: rgbaToSmallGray + preprocessGray`, dAll);

console.log(`Node ${process.version}, ${runs} runs after 5 warm-up runs, ms`);
console.log(`${"step".padEnd(48)} ${"median".padStart(7)} ${"p90".padStart(7)}`);
for (const [name, median, p90] of rows) console.log(`${name.padEnd(48)} ${median.padStart(7)} ${p90.padStart(7)}`);
console.log(`found: photo box ${JSON.stringify(all.out.box)} (in the 250x250 grey), drawing box ${JSON.stringify(dAll.out.box)}`);
