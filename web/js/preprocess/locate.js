// Port of pymodel/locate.py: choose the digit among the ink components, the main ink group nearest the
// centre, with its own parts and the lines that are its strokes. The rules are in that module's docstring.

export const SPECK_FRACTION = 0.05;
export const CENTRE_RADIUS = 0.25;
export const BORDER_PENALTY = 0.25;
export const BAND_ASPECT = 3.0;
export const BAND_PENALTY = 0.1;
export const GROW = 0.3;
export const PART_OF = 0.6;
export const TOUCH = 0.04;
export const ENCLOSE = 1.2;
export const OVERHANG = 0.1;
export const LINE_LONGER = 2.5;
export const CORNER = 2.0;

export const PARAMETERS = Object.freeze({
  speck_fraction: SPECK_FRACTION,
  centre_radius: CENTRE_RADIUS,
  border_penalty: BORDER_PENALTY,
  band_aspect: BAND_ASPECT,
  band_penalty: BAND_PENALTY,
  grow: GROW,
  part_of: PART_OF,
  touch: TOUCH,
  enclose: ENCLOSE,
  overhang: OVERHANG,
  line_longer: LINE_LONGER,
  corner: CORNER,
});

export class Digit {
  constructor(parts, x0, y0, x1, y1, mass, border) {
    this.parts = parts; // Components
    this.x0 = x0;
    this.y0 = y0;
    this.x1 = x1; // exclusive
    this.y1 = y1; // exclusive
    this.mass = mass;
    this.border = border; // its seed touches the image border
    this.extra = []; // flat pixel indices of lines given back to it
  }

  /** The runs of its parts, in order: y, x0, x1 flat. */
  get runs() {
    const out = [];
    for (const c of this.parts) for (const v of c.runs) out.push(v);
    return out;
  }

  get box() {
    return [this.x0, this.y0, this.x1 - this.x0, this.y1 - this.y0];
  }
}

/** Chebyshev distance between two boxes (objects with x0, y0, x1, y1; 0 when they touch or overlap). */
export function gap(a, b) {
  const dx = Math.max(a.x0 - b.x1, b.x0 - a.x1, -1) + 1;
  const dy = Math.max(a.y0 - b.y1, b.y0 - a.y1, -1) + 1;
  return Math.max(dx, dy);
}

/**
 * Whether box a ({x0, y0, x1, y1}) reaches a border of the image that box b does not: a neighbour or a rule
 * cut by the crop, beside the digit b. Never in a drawing on the pad, which is cut out of nothing.
 */
export function cropCut(a, b, w, h, drawn) {
  return !drawn && ((a.x0 === 0 && 0 < b.x0) || (a.y0 === 0 && 0 < b.y0) || (a.x1 === w && w > b.x1)
    || (a.y1 === h && h > b.y1));
}

/**
 * The components without those that surround the writing (step 0): at the image border, their box holding
 * the whole box of another component that is no speck and clear of the border. Never in a drawing.
 */
export function surroundings(comps, w, h, drawn) {
  if (drawn || comps.length === 0) return comps.slice();
  let heaviest = -Infinity;
  for (const c of comps) heaviest = Math.max(heaviest, c.mass);
  const inner = comps.filter((c) => !c.touchesBorder(w, h) && c.mass >= SPECK_FRACTION * heaviest);
  return comps.filter((c) => !(c.touchesBorder(w, h) && inner.some(
    (o) => c.x0 <= o.x0 && o.x1 <= c.x1 && c.y0 <= o.y0 && o.y1 <= c.y1)));
}

/** Whether c lies along a side of the image it touches, BAND_ASPECT times longer that way than deep. */
export function alongBorder(c, w, h) {
  const alongTopOrBottom = (c.y0 === 0 || c.y1 === h) && c.width >= BAND_ASPECT * c.height;
  const alongASide = (c.x0 === 0 || c.x1 === w) && c.height >= BAND_ASPECT * c.width;
  return alongTopOrBottom || alongASide;
}

function score(c, w, h, drawn) {
  // Python's math.hypot(w, h); Math.hypot is not correctly rounded (it differs in the last bit for many
  // integer pairs), the square root of the exact integer sum is, and equals Python's for every size.
  const radius = CENTRE_RADIUS * Math.sqrt(w * w + h * h);
  const dx = (c.x0 + c.x1) / 2 - w / 2;
  const dy = (c.y0 + c.y1) / 2 - h / 2;
  let s = c.mass / (1.0 + (dx * dx + dy * dy) / (radius * radius));
  if (drawn || !c.touchesBorder(w, h)) return s;
  s = s * BORDER_PENALTY;
  return alongBorder(c, w, h) ? s * BAND_PENALTY : s;
}

/** The seed plus the components of `pool` that are parts of the same digit (step 3). */
export function grow(seed, pool, w, h, drawn = false) {
  const digit = new Digit([seed], seed.x0, seed.y0, seed.x1, seed.y1, seed.mass, !drawn && seed.touchesBorder(w, h));
  let left = pool.filter((c) => c !== seed);
  let changed = true;
  while (changed) {
    changed = false;
    const size = Math.max(digit.x1 - digit.x0, digit.y1 - digit.y0);
    for (const c of left) {
      if (c.mass < SPECK_FRACTION * digit.mass) continue;
      const g = gap(c, digit);
      if (g > GROW * size) continue;
      if (c.mass > PART_OF * digit.mass && g > TOUCH * size) continue;
      // Bigger every way: what is left of a frame or a box around it, not a part.
      if (c.width > ENCLOSE * (digit.x1 - digit.x0) && c.height > ENCLOSE * (digit.y1 - digit.y0)) continue;
      if (cropCut(c, digit, w, h, drawn)) continue;
      digit.parts.push(c);
      digit.mass += c.mass;
      digit.x0 = Math.min(digit.x0, c.x0);
      digit.y0 = Math.min(digit.y0, c.y0);
      digit.x1 = Math.max(digit.x1, c.x1);
      digit.y1 = Math.max(digit.y1, c.y1);
      left = left.filter((o) => o !== c);
      changed = true;
      break;
    }
  }
  return digit;
}

/**
 * Steps 1-3: the digit among the components, or null when there is no ink. drawn: the image is a drawing on
 * the pad, whose borders cut nothing.
 */
export function choose(comps, w, h, drawn = false) {
  if (comps.length === 0) return null;
  let heaviest = comps[0].mass;
  for (const c of comps) if (c.mass > heaviest) heaviest = c.mass;
  const pool = comps.filter((c) => c.mass >= SPECK_FRACTION * heaviest);
  let seed = pool[0];
  let best = score(seed, w, h, drawn);
  for (let i = 1; i < pool.length; i++) {
    const s = score(pool[i], w, h, drawn);
    if (s > best) {
      seed = pool[i];
      best = s;
    }
  }
  return grow(seed, comps, w, h, drawn);
}

/** The digit's box lies within the line's box (grown by 1 px): it is a piece of that line. */
export function inside(digit, line) {
  return digit.x0 >= line.x0 - 1 && digit.y0 >= line.y0 - 1 && digit.x1 <= line.x1 + 1 && digit.y1 <= line.y1 + 1;
}

/** The two end points [x, y] of a line. */
function ends(line, w, h) {
  const side = line.horizontal ? w : h;
  return [line.start, line.end].map((t) => {
    const across = line.acrossAt(t, side);
    return line.horizontal ? [t, across] : [across, t];
  });
}

/**
 * Lines that end where a perpendicular line ends: the sides of a box or a frame. Near means within CORNER
 * thicknesses (not the box across a slanted line: a 1 ending near a ruled line's end was a corner).
 */
export function corners(lines, w, h) {
  const all = lines.map((ln) => [ln, ends(ln, w, h)]);
  const found = [];
  for (const [a, ea] of all) {
    const reach = CORNER * Math.max(1.0, a.thickness);
    for (const [b, eb] of all) {
      const near = ea.some((p) => eb.some((q) => Math.abs(p[0] - q[0]) <= reach && Math.abs(p[1] - q[1]) <= reach));
      if (a.horizontal !== b.horizontal && near) {
        found.push(a);
        break;
      }
    }
  }
  return found;
}

/** Step 4: is this (non-spanning) line a stroke of the digit? */
export function belongs(line, digit, w, h, framed = [], drawn = false) {
  if (line.spans || line.wall || framed.includes(line)) return false;
  if (cropCut(line, digit, w, h, drawn)) {
    return false; // it runs off the image where the digit does not: a rule cut by the crop
  }
  const size = Math.max(digit.x1 - digit.x0, digit.y1 - digit.y0);
  if (gap(line, digit) > Math.max(2.0, TOUCH * size)) {
    return false; // a stroke of the digit touches the rest of it; a box side or a margin does not
  }
  let extent;
  let before;
  let after;
  if (line.horizontal) [extent, before, after] = [digit.x1 - digit.x0, digit.x0 - line.x0, line.x1 - digit.x1];
  else [extent, before, after] = [digit.y1 - digit.y0, digit.y0 - line.y0, line.y1 - digit.y1];
  const reach = Math.max(2.0, OVERHANG * extent);
  if (before >= reach && after >= reach) return false;
  return line.length <= LINE_LONGER * Math.max(extent, 1);
}

/** Add the lines that belong to the digit (step 4) to it, in place, in order (each may grow its box). */
export function giveBack(digit, lines, w, h, drawn = false) {
  const framed = corners(lines, w, h);
  for (const line of lines) {
    if (belongs(line, digit, w, h, framed, drawn)) {
      for (const i of line.pixels) digit.extra.push(i);
      digit.x0 = Math.min(digit.x0, line.x0);
      digit.y0 = Math.min(digit.y0, line.y0);
      digit.x1 = Math.max(digit.x1, line.x1);
      digit.y1 = Math.max(digit.y1, line.y1);
    }
  }
}
