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

/**
 * The pad's strokes grouped into digits: {digits, across}. digits: a list of groups, each a list of stroke
 * indices, in the order their first stroke was drawn. across: the strokes that share the columns of two
 * digits or more, by GROUP_OVERLAP of each (an underline, a line through the number): no digit's stroke,
 * they are left out of what is read. strokes: arrays of {x, y} in pad fractions; halfWidth: half the line
 * width, as a fraction of the pad's width (the unit of x).
 */
export function strokeGroups(strokes, halfWidth) {
  const groups = []; // {members, x0, x1}
  const across = [];
  strokes.forEach((stroke, index) => {
    if (!stroke.length) return;
    let x0 = Infinity;
    let x1 = -Infinity;
    for (const p of stroke) {
      x0 = Math.min(x0, p.x);
      x1 = Math.max(x1, p.x);
    }
    x0 -= halfWidth;
    x1 += halfWidth;
    const shares = groups.map((g) => (Math.min(x1, g.x1) - Math.max(x0, g.x0)) / Math.min(x1 - x0, g.x1 - g.x0));
    const joined = groups.filter((_, k) => shares[k] >= GROUP_OVERLAP);
    if (joined.length > 1) {
      across.push(index);
    } else if (joined.length === 1) {
      const g = joined[0];
      g.members.push(index);
      g.x0 = Math.min(g.x0, x0);
      g.x1 = Math.max(g.x1, x1);
    } else {
      groups.push({ members: [index], x0, x1 });
    }
  });
  return { digits: groups.map((g) => g.members), across };
}
