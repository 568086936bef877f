// Port of pymodel/referee.py: what the row reader (training/row_model.py) says about a whole row: how likely
// a string of digits is (CTC's forward algorithm), and which strings are the likeliest (prefix beam search).
// Why it referees the digit reader's cuts is in that module's docstring.
//
// The same additions in the same order, and the same ranking with the same tie-breaking, so for the same
// columns the same strings come out in the same order. Scores agree with Python's to rounding (Math.exp,
// Math.log and Math.log1p may differ from C's libm in the last bit); tests/test_referee_port.py holds the two
// together.

export const BLANK = 10;
export const BEAM = 10;

const NEG = -Infinity;

/** log(exp(a) + exp(b)) without overflow (pymodel/referee.py's _add). */
export function add(a, b) {
  if (a < b) [a, b] = [b, a];
  return b === NEG ? a : a + Math.log1p(Math.exp(b - a));
}

// Python sums the exponentials with math.fsum (exactly rounded). A compensated (Neumaier) sum of these few
// positive terms gives the same double but in rare last-bit cases, well inside the 1e-9 the ports agree to.
function compensatedSum(values) {
  let sum = 0.0;
  let c = 0.0;
  for (const v of values) {
    const t = sum + v;
    c += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  return sum + c;
}

/** Per column, the log-probabilities of the 10 digits and the blank (BLANK), from the model's logits. */
export function logSoftmax(logits) {
  return Array.from(logits, (column) => {
    const values = Array.from(column);
    const top = Math.max(...values);
    const total = top + Math.log(compensatedSum(values.map((v) => Math.exp(v - top))));
    return values.map((v) => v - total);
  });
}

/** log P(digits | row) by CTC's forward algorithm over the label with blanks between and around. */
export function logProb(columns, digits) {
  const label = [BLANK];
  for (const ch of digits) label.push(Number(ch), BLANK);
  if (!columns.length) return digits.length ? NEG : 0.0;
  const n = label.length;
  let alpha = new Array(n).fill(NEG);
  alpha[0] = columns[0][BLANK];
  if (n > 1) alpha[1] = columns[0][label[1]];
  for (let t = 1; t < columns.length; t++) {
    const column = columns[t];
    const next = new Array(n).fill(NEG);
    for (let k = 0; k < n; k++) {
      let v = alpha[k];
      if (k > 0) v = add(v, alpha[k - 1]);
      if (k > 1 && label[k] !== BLANK && label[k] !== label[k - 2]) v = add(v, alpha[k - 2]);
      next[k] = v > NEG ? v + column[label[k]] : NEG;
    }
    alpha = next;
  }
  return n > 1 ? add(alpha[n - 1], alpha[n - 2]) : alpha[n - 1];
}

// Add to a prefix's probability of ending in a blank and of ending in its last digit (Python's _extend).
// A Map keeps the order prefixes are first added in, as Python's dict does, so every prefix's sum is
// made of the same additions in the same order.
function extend(beams, prefix, blank, digit) {
  const old = beams.get(prefix) ?? [NEG, NEG];
  beams.set(prefix, [add(old[0], blank), add(old[1], digit)]);
}

// Python's sort key (-logP, len(prefix), prefix): the likelier first, then the shorter, then the smaller
// string. Written with comparisons, since -Infinity - -Infinity is NaN.
function byRank(a, b) {
  if (a[1] !== b[1]) return a[1] > b[1] ? -1 : 1;
  if (a[0].length !== b[0].length) return a[0].length - b[0].length;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/**
 * The n likeliest strings by prefix beam search: [[digits, logP], ...], best first (pymodel/referee.py's
 * likeliest). Each prefix's probability is split into ending in a blank and ending in its last digit, so a
 * doubled digit needs a blank between its two. Ties keep the shorter, then the smaller string.
 */
export function likeliest(columns, beam = BEAM, n = 5) {
  let beams = new Map([["", [0.0, NEG]]]);
  for (const column of columns) {
    const grown = new Map();
    for (const [prefix, [pBlank, pDigit]] of beams) {
      const total = add(pBlank, pDigit);
      extend(grown, prefix, total + column[BLANK], NEG);
      const last = prefix.slice(-1);
      for (let d = 0; d < 10; d++) {
        const ch = String(d);
        if (ch === last) {
          extend(grown, prefix, NEG, pDigit + column[d]); // the same stroke of the same digit
          extend(grown, prefix + ch, NEG, pBlank + column[d]); // a blank between: a new digit
        } else {
          extend(grown, prefix + ch, NEG, total + column[d]);
        }
      }
    }
    const ranked = [...grown].map(([prefix, v]) => [prefix, add(v[0], v[1]), v]).sort(byRank);
    beams = new Map(ranked.slice(0, beam).map(([prefix, , v]) => [prefix, v]));
  }
  const ranked = [...beams].map(([prefix, v]) => [prefix, add(v[0], v[1])]).sort(byRank);
  return ranked.slice(0, n);
}
