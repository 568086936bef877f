// Corrected history entries -> a labelled dataset for training:
//   <name>.npz   images uint8 [N, 28, 28] (light ink on black, as the model saw them), labels uint8 [N]
//   <name>.json  provenance: where each image came from (entry, time, engine, model), what was skipped
// Only entries and their corrections go in; sync settings live elsewhere and never reach an export.
import { decodeImage28 } from "./entry.js";
import { npzUint8 } from "./npz.js";

export const EXPORT_FORMAT = "digits-corrections";
export const EXPORT_FORMAT_VERSION = 1;

/** One image per corrected digit; an entry whose correction does not pair up with its digits is skipped. */
export function correctedDigits(entries) {
  const items = [];
  const skipped = [];
  for (const entry of entries) {
    if (!entry || !entry.correction) continue;
    const truth = entry.correction.digits;
    const digits = entry.digits || [];
    if (truth.length !== digits.length) {
      skipped.push({
        entry_id: entry._id,
        reason: `the correction has ${truth.length} digit(s) but the reading found ${digits.length}; ` +
          "the images cannot be paired with the labels",
      });
      continue;
    }
    if (digits.some((d) => !d.image28)) {
      skipped.push({ entry_id: entry._id, reason: "no 28x28 image stored for every digit" });
      continue;
    }
    digits.forEach((d, i) => {
      items.push({
        image: decodeImage28(d.image28),
        label: Number(truth[i]),
        provenance: {
          entry_id: entry._id,
          digit_index: i,
          created: entry.created,
          corrected: entry.correction.time,
          source: entry.source,
          engine: entry.engine,
          model_sha256: entry.model_sha256,
          answer: d.answer,
          confidence: d.confidence,
          status: d.status,
          label: Number(truth[i]),
        },
      });
    });
  }
  return { items, skipped };
}

function stamp(date) {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
}

/**
 * Build the dataset. Returns {npz: Uint8Array, provenance: object, count, names: {npz, json}}.
 * `entries` as HistoryStore.listAll() returns them.
 */
export function exportCorrections(entries, { now = new Date() } = {}) {
  const { items, skipped } = correctedDigits(entries);
  const n = items.length;
  const images = new Uint8Array(n * 784);
  const labels = new Uint8Array(n);
  items.forEach((item, i) => {
    images.set(item.image, i * 784);
    labels[i] = item.label;
  });
  const npz = npzUint8({ images: { data: images, shape: [n, 28, 28] }, labels: { data: labels, shape: [n] } });
  const base = `digits-corrections-${stamp(now)}`;
  const provenance = {
    format: EXPORT_FORMAT,
    format_version: EXPORT_FORMAT_VERSION,
    exported: now.toISOString(),
    npz: `${base}.npz`,
    count: n,
    arrays: {
      images: "uint8 [N, 28, 28]: each digit as the model saw it, light ink (255) on black (0)",
      labels: "uint8 [N]: the digit the user said is right",
    },
    items: items.map((item, index) => ({ index, ...item.provenance })),
    skipped,
  };
  return { npz, provenance, count: n, names: { npz: `${base}.npz`, json: `${base}.json` } };
}
