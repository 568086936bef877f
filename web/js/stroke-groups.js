// Which of the pad's strokes make one digit, so that digits written touching can be handed to the reader
// apart (DrawingPad.readingImageData).
//
// From pixels alone, two digits that touch are one ink group, and the number reader has to guess where to
// cut it; a finger on a phone writes digits touching all the time. The pad knows more than the pixels: it
// knows the strokes and the order they came in. A digit's strokes share columns (the bar and the stem of a
// 4, a 5's flag over its body, a 7's crossbar), while the next digit starts beside it. So the pad redraws
// the strokes digit by digit, each digit first clearing a band KNOCKOUT line widths wide around its own
// strokes on the digits drawn before it: where a digit touches or crosses its neighbour the reader sees a
// gap. Measured on the drawn numbers of the evaluation set, each digit a group as the generator wrote it
// (`python build.py evaluate`, "drawn on the pad"): README, "Numbers drawn on the pad".

// The band each digit clears around its strokes, in line widths on either side. Chosen on the validation
// drawings (training writers): touching numbers read from pixels 60.9% exact, with a band of 0.5 / 0.75 /
// 1.0 line widths 87.0 / 89.9 / 89.9%; at 0.25 (72.5%) the gap closes when the pad is scaled down for
// reading.
export const KNOCKOUT = 0.75;
// A stroke belongs to a digit already drawn when their columns (ink, line width included) overlap by at
// least this share of the narrower: the stem of a 4 drawn after its corner, the flag of a 5. Digits that
// merely touch share less; neighbours that overlap more stay one group and are read as today.
export const GROUP_OVERLAP = 0.5;
// A stroke that starts or ends within this many line widths of where the stroke before it started or ended
// carries on the same mark: the pen was lifted and put down again at a corner (the strokes of a "V" or an
// "M"; read apart, a letter's strokes can come out as a number of 1s). The next digit of a number starts
// beside the last one, not at its end.
export const SAME_POINT = 1.0;
// A stroke across digits is an underline (or a line over them) when it is flat, its ink at most this share
// of a digit's height high, and lies in the outer UNDERLINE of the digits' height or beyond it, touching
// them or not. The bar of an "H" and a line struck through a number cross the middle.
export const UNDERLINE = 0.25;

/**
 * The pad's strokes grouped into digits: {digits, across}. digits: a list of groups, each a list of stroke
 * indices, in the order their first stroke was drawn. A stroke joins the group of the stroke before it when
 * it carries on from it (SAME_POINT), else the group whose columns it shares (GROUP_OVERLAP). A stroke that
 * shares the columns of two digits or more, by GROUP_OVERLAP of each, is either an underline (or a line over
 * them: UNDERLINE), listed in across and left out of what is read, or crosses them (the bar of an "H", a
 * line through the number): then it and those digits are one group, read from their pixels as drawn.
 * strokes: arrays of {x, y} in pad fractions; half: half the line width as a fraction of the pad's width
 * and height, {x, y}.
 */
export function strokeGroups(strokes, half) {
  let groups = []; // {members, x0, x1, y0, y1}: ink extents, line width included
  const across = [];
  strokes.forEach((stroke, index) => {
    if (!stroke.length) return;
    const box = { members: [index], x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity };
    for (const p of stroke) {
      box.x0 = Math.min(box.x0, p.x - half.x);
      box.x1 = Math.max(box.x1, p.x + half.x);
      box.y0 = Math.min(box.y0, p.y - half.y);
      box.y1 = Math.max(box.y1, p.y + half.y);
    }
    const before = index > 0 && carriesOn(strokes[index - 1], stroke, half) &&
      groups.find((g) => g.members.includes(index - 1));
    const joined = before ? [before] : groups.filter((g) =>
      (Math.min(box.x1, g.x1) - Math.max(box.x0, g.x0)) / Math.min(box.x1 - box.x0, g.x1 - g.x0) >= GROUP_OVERLAP);
    if (joined.length > 1 && joined.every((g) => underOrOver(box, g))) {
      across.push(index);
      return;
    }
    if (!joined.length) {
      groups.push(box);
      return;
    }
    const [first, ...rest] = joined;
    for (const g of [...rest, box]) {
      first.members.push(...g.members);
      first.x0 = Math.min(first.x0, g.x0);
      first.x1 = Math.max(first.x1, g.x1);
      first.y0 = Math.min(first.y0, g.y0);
      first.y1 = Math.max(first.y1, g.y1);
    }
    groups = groups.filter((g) => !rest.includes(g));
  });
  return { digits: groups.map((g) => g.members.sort((a, b) => a - b)), across };
}

// Whether one of the stroke's ends lies within SAME_POINT line widths of one of the previous stroke's ends.
function carriesOn(previous, stroke, half) {
  if (!previous.length) return false;
  const ends = (s) => [s[0], s[s.length - 1]];
  return ends(previous).some((a) => ends(stroke).some((b) =>
    Math.hypot((a.x - b.x) / (2 * half.x), (a.y - b.y) / (2 * half.y)) <= SAME_POINT));
}

// Whether a flat stroke lies along the bottom or the top of a digit's ink (UNDERLINE), or beyond it.
function underOrOver(box, digit) {
  const high = digit.y1 - digit.y0;
  const middle = (box.y0 + box.y1) / 2;
  return box.y1 - box.y0 <= UNDERLINE * high &&
    (middle >= digit.y1 - UNDERLINE * high || middle <= digit.y0 + UNDERLINE * high);
}
