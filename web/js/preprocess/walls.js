// Port of pymodel/walls.py: the walls of a form's boxes, the upright strokes between the cells of a row of
// boxes or a comb field, which would each read as a 1. The rules are in that module's docstring.
import { Component } from "./components.js";
import { BOX_SIDE, Line, atBorder, leastSquares, linesBetween, linesIn, sameLine } from "./lines.js";

export const NARROW = 0.25;
export const REACH = 2.0;
export const SAME_LENGTH = 0.15;
export const SAME_PITCH = 0.12;
export const PITCH_MIN = 0.4;
export const PITCH_MAX = 4.0;
export const WALLS_MIN = 3;
export const HOLDS = 0.3;
export const HALO = 1.0;
export const PRINTED_MIN = 4;
export const PRINTED_SHORTEST = 8;
export const PRINTED_LENGTH = 0.1;
export const PRINTED_ENDS = 2;
export const PRINTED_PITCH = 0.05;
export const PRINTED_LEAN = 0.05;
export const PRINTED_INK = 1.5;

export const PARAMETERS = Object.freeze({
  wall_narrow: NARROW,
  wall_reach: REACH,
  wall_same_length: SAME_LENGTH,
  wall_same_pitch: SAME_PITCH,
  wall_pitch_min: PITCH_MIN,
  wall_pitch_max: PITCH_MAX,
  walls_min: WALLS_MIN,
  wall_holds: HOLDS,
  wall_halo: HALO,
  printed_min: PRINTED_MIN,
  printed_shortest: PRINTED_SHORTEST,
  printed_length: PRINTED_LENGTH,
  printed_ends: PRINTED_ENDS,
  printed_pitch: PRINTED_PITCH,
  printed_lean: PRINTED_LEAN,
  printed_ink: PRINTED_INK,
});

// An upright: {x: centre, y0: top, y1: bottom (exclusive), of: the line or component}.
function uprights(lines, comps, w, h) {
  const out = [];
  for (const ln of lines) {
    if (!ln.horizontal && !atBorder(ln, w, h).every(Boolean)) out.push({ x: (ln.x0 + ln.x1) / 2, y0: ln.y0, y1: ln.y1, of: ln });
  }
  for (const c of comps) {
    if (c.width <= NARROW * c.height) out.push({ x: (c.x0 + c.x1) / 2, y0: c.y0, y1: c.y1, of: c });
  }
  return out;
}

/**
 * Whether an upright stroke's end ("y0": its top, "y1": its foot) lies on the horizontal line bar. Along the
 * bar, any of the stroke's width will do (walls.py, _stands_on).
 */
function standsOn(bar, u, end, w) {
  const y = end === "y1" ? u.y1 - 1 : u.y0;
  const half = (u.of.x1 - u.of.x0) / 2;
  if (!(bar.x0 - REACH - half <= u.x && u.x <= bar.x1 + REACH + half)) return false;
  return Math.abs(y - bar.acrossAt(u.x, w)) <= bar.thickness / 2 + REACH;
}

const lengthOf = (u) => u.y1 - u.y0;

/** The walls at the pitch that first and second set, from first rightwards. */
function rowFrom(first, second, group, right) {
  const length = (lengthOf(first) + lengthOf(second)) / 2;
  let pitch = second.x - first.x;
  if (!(PITCH_MIN * length <= pitch && pitch <= PITCH_MAX * length)) return [];
  const near = Math.max(2.0, SAME_PITCH * pitch);
  const alike = group.filter((u) => Math.abs(lengthOf(u) - length) <= SAME_LENGTH * length);
  const row = [first];
  let [lastX, lastK, k, missed] = [first.x, 0, 1, 0];
  while (lastX + (k - lastK) * pitch <= right + near) {
    const want = lastX + (k - lastK) * pitch;
    let best = null;
    // Each wall lies at least half a pitch beyond the last: two finds of one wall never shrink the pitch.
    for (const u of alike) {
      if (Math.abs(u.x - want) <= near && u.x - lastX >= 0.5 * pitch
        && (best === null || Math.abs(u.x - want) < Math.abs(best.x - want))) best = u;
    }
    if (best !== null) {
      row.push(best);
      [lastX, lastK, missed] = [best.x, k, 0];
      pitch = (lastX - first.x) / k; // the pitch of the walls found so far, so it does not drift
    } else {
      missed += 1;
      if (missed > 1) break;
    }
    k += 1;
  }
  return row;
}

/** The longest regular row of walls among the uprights (the shortest pitch on a tie). */
function rowOf(group) {
  // A stable sort, as Python's sorted.
  const sorted = group.map((u, i) => [u, i]).sort((a, b) => a[0].x - b[0].x || a[1] - b[1]).map((p) => p[0]);
  const right = sorted.length ? sorted[sorted.length - 1].x : 0.0;
  let best = [];
  let bestPitch = 0.0;
  for (let i = 0; i < sorted.length; i++) {
    const first = sorted[i];
    for (const second of sorted.slice(i + 1)) {
      if (Math.abs(lengthOf(first) - lengthOf(second)) > SAME_LENGTH * Math.max(lengthOf(first), lengthOf(second))) continue;
      const row = rowFrom(first, second, sorted, right);
      const pitch = second.x - first.x;
      if (row.length > best.length || (row.length === best.length && pitch < bestPitch)) [best, bestPitch] = [row, pitch];
    }
  }
  return best;
}

/**
 * Uprights hidden in a blurred line's fringe (walls.py, _split_on): the part of a wide component above the
 * line's band (HALO pixels beyond its thickness), and the part below, each an upright when narrow. A piece is
 * a Component with `parent` (the component it was cut from) and `band` (the parent's pixels in the band).
 */
function splitOn(bar, comps, w) {
  const half = bar.thickness / 2 + HALO;
  const out = [];
  for (const c of comps) {
    if (c.width <= NARROW * c.height || c.x1 <= bar.x0 - REACH || c.x0 >= bar.x1 + REACH) continue;
    const above = [];
    const below = [];
    const band = [];
    const runs = c.runs;
    for (let r = 0; r < runs.length; r += 3) {
      const [y, x0, x1] = [runs[r], runs[r + 1], runs[r + 2]];
      const middle = bar.acrossAt((x0 + x1) / 2, w);
      if (y < middle - half) above.push(y, x0, x1);
      else if (y > middle + half) below.push(y, x0, x1);
      else for (let x = x0; x < x1; x++) band.push(y * w + x);
    }
    if (!band.length) continue;
    for (const part of [above, below]) {
      if (!part.length) continue;
      let [x0, x1, area] = [Infinity, -Infinity, 0];
      for (let r = 0; r < part.length; r += 3) {
        x0 = Math.min(x0, part[r + 1]);
        x1 = Math.max(x1, part[r + 2]);
        area += part[r + 2] - part[r + 1];
      }
      const piece = new Component(x0, part[0], x1, part[part.length - 3] + 1);
      piece.runs = part;
      piece.area = area;
      piece.parent = c;
      piece.band = band;
      if (piece.width <= NARROW * piece.height) out.push({ x: (piece.x0 + piece.x1) / 2, y0: piece.y0, y1: piece.y1, of: piece });
    }
  }
  return out;
}

/** A found row's pitch, and how far from where it puts a wall one may stand (walls.py, _pitch_of). */
function pitchOf(row) {
  let pitch = Infinity;
  for (let i = 0; i + 1 < row.length; i++) pitch = Math.min(pitch, row[i + 1].x - row[i].x);
  return [pitch, Math.max(2.0, SAME_PITCH * pitch)];
}

/**
 * Whether writing stands in at least two of the row's cells, and in a third of them. A wall split from a
 * component (splitOn) is not writing, nor is a component centred where the row puts a wall (walls.py).
 */
function holdsWriting(row, comps) {
  const own = row.map((u) => u.of).concat(row.filter((u) => u.of.parent).map((u) => u.of.parent));
  const lengths = row.map(lengthOf).sort((a, b) => a - b);
  const length = lengths[Math.floor(row.length / 2)];
  const [pitch, near] = pitchOf(row);
  // A stroke centred where the row misses a wall is no writing either (walls.py).
  const atAWall = (c) => {
    const middle = (c.x0 + c.x1) / 2;
    const k = Math.floor((middle - row[0].x) / pitch + 0.5);
    return Math.abs(middle - row[0].x - k * pitch) <= near;
  };
  const writing = comps.filter((c) => !own.includes(c) && c.height >= HOLDS * length && !atAWall(c));
  let filled = 0;
  for (let i = 0; i + 1 < row.length; i++) {
    const [a, b] = [row[i], row[i + 1]];
    if (writing.some((c) => a.x < (c.x0 + c.x1) / 2 && (c.x0 + c.x1) / 2 < b.x)) filled += 1;
  }
  return filled >= 2 && 3 * filled >= row.length - 1;
}

/**
 * Whether the row is as regular as print (walls.py, _printed): then no writing needs to stand in its cells
 * (an empty form, or a few of its cells filled).
 */
function printed(row, bar, d, w) {
  const lengths = row.map(lengthOf).sort((a, b) => a - b);
  if (row.length < PRINTED_MIN || lengths[0] < PRINTED_SHORTEST) return false;
  const median = lengths[Math.floor(row.length / 2)];
  const xs = row.map((u) => u.x);
  const [pitch, midK, midX] = leastSquares(row.map((_, k) => k), xs);
  const off = Math.max(...xs.map((x, k) => Math.abs(x - midX - pitch * (k - midK))));
  // Square to the bar: a bar falling by s per pixel across has walls leaning by -s per pixel down.
  const lean = Math.max(...row.map((u) => Math.abs(leanOf(u) + bar.slope)));
  if (lengths[lengths.length - 1] - lengths[0] > PRINTED_LENGTH * median + PRINTED_ENDS
    || off > PRINTED_PITCH * median || lean > PRINTED_LEAN) return false;
  // One ink: the lightest wall is printed as the bar is, while a pen's strokes are darker than the rule.
  const lightest = Math.min(...row.map((u) => strength(pixelsOf(u.of, w), d, w, false)));
  return lightest <= PRINTED_INK * strength(bar.pixels, d, w, true);
}

/** How dark a stroke's ink is: the median, along it, of its darkest pixel across it (walls.py, _strength). */
function strength(pixels, d, w, alongX) {
  const core = new Map();
  for (const i of pixels) {
    const t = alongX ? i % w : Math.floor(i / w);
    if (d[i] > (core.has(t) ? core.get(t) : -1)) core.set(t, d[i]);
  }
  const values = [...core.values()].sort((a, b) => a - b);
  return values.length ? values[Math.floor(values.length / 2)] : 0;
}

function pixelsOf(stroke, w) {
  if (stroke instanceof Line) return stroke.pixels;
  const out = [];
  const runs = stroke.runs;
  for (let i = 0; i < runs.length; i += 3) for (let x = runs[i + 1]; x < runs[i + 2]; x++) out.push(runs[i] * w + x);
  return out;
}

/** An upright's change across per pixel down: a line's slope, or a component's fitted to its runs. */
function leanOf(u) {
  if (u.of instanceof Line) return u.of.slope;
  const ys = [];
  const mids = [];
  const runs = u.of.runs;
  for (let i = 0; i < runs.length; i += 3) {
    ys.push(runs[i]);
    mids.push((runs[i + 1] + runs[i + 2]) / 2);
  }
  return leastSquares(ys, mids)[0];
}

/** Whether bottom is a horizontal line below top, and they share at least half the shorter's columns. */
function facing(top, bottom) {
  const shared = Math.min(top.x1, bottom.x1) - Math.max(top.x0, bottom.x0);
  return bottom.y0 >= top.y1 && shared >= 0.5 * Math.min(top.x1 - top.x0, bottom.x1 - bottom.x0);
}

/**
 * The inner sides of a row of boxes: upright lines between each horizontal line and the next one below it
 * (linesBetween), searched only where at least two upright strokes already reach from the one to the other.
 */
function between(mask, lines, ups, w, h) {
  const bars = lines.filter((ln) => ln.horizontal);
  const out = [];
  for (const top of bars) {
    let bottom = null;
    for (const b of bars) {
      if (b !== top && facing(top, b) && (bottom === null || b.y0 < bottom.y0)) bottom = b;
    }
    if (bottom === null) continue;
    const tall = 0.5 * (bottom.y0 - top.y1);
    const reaching = ups.filter((u) => lengthOf(u) >= tall
      && (standsOn(top, u, "y0", w) || standsOn(bottom, u, "y1", w)));
    if (reaching.length < 2) continue;
    for (const ln of linesBetween(mask, w, h, top, bottom)) if (!out.some((o) => sameLine(ln, o))) out.push(ln);
  }
  return out;
}

/**
 * The walls of the row that no upright showed: where the pitch puts one, between the row's walls and one
 * pitch beyond each end while the bar goes on, an upright line on the bar's side of the walls (linesIn), at
 * least BOX_SIDE of their length long, with its end on the bar.
 */
function unseen(mask, bar, end, row, w, h) {
  const [pitch, near] = pitchOf(row);
  const lengths = row.map(lengthOf).sort((a, b) => a - b);
  const length = lengths[Math.floor(row.length / 2)];
  const steps = Math.floor((row[row.length - 1].x - row[0].x) / pitch + 0.5);
  const out = [];
  for (let k = -1; k < steps + 2; k++) {
    const x = row[0].x + k * pitch;
    if (row.some((u) => Math.abs(u.x - x) <= near) || !(bar.x0 - near <= x && x <= bar.x1 + near)) continue;
    const middle = bar.acrossAt(x, w);
    const window = end === "y1" // the walls stand on the bar: their lower end on it
      ? [x - near, x + near, middle - length - REACH, middle - bar.thickness / 2]
      : [x - near, x + near, middle + bar.thickness / 2, middle + length + REACH];
    for (const line of linesIn(mask, w, h, window, BOX_SIDE * length)) {
      const u = { x: (line.x0 + line.x1) / 2, y0: line.y0, y1: line.y1, of: line };
      if (standsOn(bar, u, end, w)) {
        out.push(u);
        break;
      }
    }
  }
  return out;
}

/** Whether an upright lies along a wall: its middle within REACH of the wall's, within its rows (give or take; walls.py). */
function pieceOf(piece, wall) {
  const reach = REACH + SAME_LENGTH * lengthOf(wall);
  return Math.abs(piece.x - wall.x) <= REACH && wall.y0 - reach <= piece.y0 && piece.y1 <= wall.y1 + reach;
}

/** A wall as a line marked `wall` (a component becomes a line of its pixels). */
function asLine(wall, w) {
  if (wall instanceof Line) {
    wall.wall = true;
    return wall;
  }
  const line = new Line(false, (wall.x0 + wall.x1) / 2, 0.0, wall.y0, wall.y1 - 1, wall.y1 - wall.y0, false);
  line.pixels = pixelsOf(wall, w);
  if (wall.band) for (const i of wall.band) line.pixels.push(i);
  [line.x0, line.y0, line.x1, line.y1] = [wall.x0, wall.y0, wall.x1, wall.y1];
  line.wall = true;
  return line;
}

/**
 * The walls of a form's cells, as lines: lines already found, upright lines found between two horizontal
 * ones, and components (a line of the component's pixels each). mask: the flat weak-ink mask; d: the ink
 * strength per pixel.
 */
export function findWalls(mask, lines, comps, w, h, d) {
  const strokes = uprights(lines, comps, w, h);
  const ups = linesFirst(strokes, uprights(between(mask, lines, strokes, w, h), [], w, h));
  const bars = lines.filter((ln) => ln.horizontal);
  const found = [];
  const bases = []; // the lines the walls stand on
  for (const bar of bars) {
    const split = splitOn(bar, comps, w);
    for (const end of ["y0", "y1"]) {
      let group = ups.concat(split).filter((u) => standsOn(bar, u, end, w));
      while (group.length >= WALLS_MIN) {
        const row = rowOf(group);
        if (row.length < WALLS_MIN) break;
        group = group.filter((u) => !row.some((r) => r.of === u.of));
        if (holdsWriting(row, comps) || printed(row, bar, d, w)) {
          for (const r of row) if (!found.some((f) => f.of === r.of)) found.push(r);
          found.push(...unseen(mask, bar, end, row, w, h));
          if (!bases.includes(bar)) bases.push(bar);
        }
      }
    }
  }
  // Pieces of a wall (its part above or below a digit that touches it, found as a line of its own) too.
  const pieces = ups.filter((u) => !found.some((f) => f.of === u.of) && found.some((f) => pieceOf(u, f)));
  const out = found.concat(pieces).map((u) => {
    const wall = asLine(u.of, w);
    for (const bar of bars) {
      if (standsOn(bar, u, "y0", w) || standsOn(bar, u, "y1", w)) wall.pixels = wall.pixels.concat(junction(bar, u, mask, w, h));
    }
    return wall;
  });
  // The line a row of walls stands on is the form's too: never read when nothing else is left (walls.py).
  for (const bar of bases) bar.wall = true;
  return out.concat(bases.filter((bar) => !out.includes(bar)));
}

/** The uprights with the sides found between two lines before the components (walls.py, _lines_first). */
function linesFirst(ups, sides) {
  return ups.filter((u) => u.of instanceof Line).concat(sides, ups.filter((u) => !(u.of instanceof Line)));
}

/** The ink where a wall meets a line it stands on, which neither erases (walls.py, _junction). */
function junction(bar, u, mask, w, h) {
  const half = bar.thickness / 2 + HALO + 1;
  const out = [];
  for (let x = Math.max(0, u.of.x0 - 1); x < Math.min(w, u.of.x1 + 1); x++) {
    const middle = bar.acrossAt(x, w);
    for (let y = Math.max(0, Math.ceil(middle - half)); y < Math.min(h, Math.floor(middle + half) + 1); y++) {
      if (mask[y * w + x]) out.push(y * w + x);
    }
  }
  return out;
}
