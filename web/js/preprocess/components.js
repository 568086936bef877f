// Port of pymodel/components.py: 8-connected components of a binary mask, found on runs of pixels.
// A run is a maximal horizontal stretch of mask pixels in one row, y, x0, x1 (x1 exclusive). Components
// are numbered in the order their first run appears and keep their runs in that order, so every later
// sum over a component has Python's order.

/**
 * For each of `lanes` lanes of length n (a flat mask, lane after lane), its runs of non-zero values:
 * {lanes, start, x0, x1}; the runs of lane t are x0[i], x1[i] for start[t] <= i < start[t + 1].
 * Python: row_runs(mask_rows) -> one list of (x0, x1) per row.
 */
export function rowRuns(mask, n, lanes) {
  const start = new Int32Array(lanes + 1);
  const x0 = [];
  const x1 = [];
  for (let t = 0; t < lanes; t++) {
    start[t] = x0.length;
    const base = t * n;
    let x = 0;
    while (x < n) {
      if (mask[base + x] === 0) {
        x += 1;
        continue;
      }
      const a = x;
      while (x < n && mask[base + x] !== 0) x += 1;
      x0.push(a);
      x1.push(x);
    }
  }
  start[lanes] = x0.length;
  return { lanes, start, x0, x1 };
}

export class Component {
  constructor(x0, y0, x1, y1) {
    this.runs = []; // y, x0, x1 of each run, flat
    this.area = 0;
    this.x0 = x0;
    this.y0 = y0;
    this.x1 = x1; // exclusive
    this.y1 = y1; // exclusive
    this.mass = 0.0; // sum of ink strength, filled in by measure()
    this.peak = 0.0; // largest ink strength
  }

  get width() {
    return this.x1 - this.x0;
  }

  get height() {
    return this.y1 - this.y0;
  }

  touchesBorder(w, h) {
    return this.x0 === 0 || this.y0 === 0 || this.x1 === w || this.y1 === h;
  }
}

/** Group the runs (rowRuns of a mask) into 8-connected components (union-find over runs). */
export function label(runs) {
  const { lanes: rows, start, x0: rx0, x1: rx1 } = runs;
  const n = rx0.length;
  const parent = new Int32Array(n);
  const find = (i) => {
    let root = i;
    while (parent[root] !== root) root = parent[root];
    while (parent[i] !== root) {
      const next = parent[i];
      parent[i] = root;
      i = next;
    }
    return root;
  };
  let prevStart = 0;
  let prevEnd = 0;
  for (let y = 0; y < rows; y++) {
    let j = prevStart;
    for (let i = start[y]; i < start[y + 1]; i++) {
      parent[i] = i;
      const x0 = rx0[i];
      const x1 = rx1[i];
      // Skip runs of the previous row that end too far left to touch this one.
      while (j < prevEnd && rx1[j] < x0) j += 1;
      for (let k = j; k < prevEnd && rx0[k] <= x1; k++) {
        const a = find(i);
        const b = find(k);
        if (a !== b) {
          if (a < b) parent[b] = a;
          else parent[a] = b;
        }
      }
    }
    prevStart = start[y];
    prevEnd = start[y + 1];
  }

  const index = new Int32Array(n).fill(-1);
  const comps = [];
  for (let y = 0; y < rows; y++) {
    for (let i = start[y]; i < start[y + 1]; i++) {
      const x0 = rx0[i];
      const x1 = rx1[i];
      const root = find(i);
      let c;
      if (index[root] < 0) {
        index[root] = comps.length;
        c = new Component(x0, y, x1, y + 1);
        comps.push(c);
      } else {
        c = comps[index[root]];
      }
      c.runs.push(y, x0, x1);
      c.area += x1 - x0;
      if (x0 < c.x0) c.x0 = x0;
      if (x1 > c.x1) c.x1 = x1;
      c.y1 = y + 1;
    }
  }
  return comps;
}

/** Fill in mass and peak from the ink strength map (runs added in order, left to right). */
export function measure(comps, d, w) {
  for (const c of comps) {
    let mass = 0.0;
    let peak = 0.0;
    const runs = c.runs;
    for (let r = 0; r < runs.length; r += 3) {
      const base = runs[r] * w;
      for (let i = base + runs[r + 1]; i < base + runs[r + 2]; i++) {
        const v = d[i];
        mass += v;
        if (v > peak) peak = v;
      }
    }
    c.mass = mass;
    c.peak = peak;
  }
}
