"""Export of corrected entries (web/js/history/export.js + npz.js): the .npz must load in NumPy."""
from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pytest

SECRET = "hunter2-must-not-leak"

SETUP = """
let t = Date.parse('2025-03-01T10:00:00Z');
const store = ctx.vars.store = await ctx.store.HistoryStore.open({PouchDB: ctx.PouchDB, name: 'x', adapter: 'memory',
                                                                  now: () => new Date((t += 1000))});
// Each digit image is distinct: pixel (r, c) = (seed * 7 + r * 28 + c) mod 256, as floats in [0, 1].
const image = (seed) => Array.from({length: 784}, (_, i) => ((seed * 7 + i) % 256) / 255);
const p = (digit, seed) => ({digit, confidence: 0.8, status: 'ok', box: [0, 0, 9, 9], image28: image(seed)});
const add = (digits) => store.add({digits, engine: 'tfjs', model_sha256: 'b'.repeat(64), source: 'pad'});
const a = await add([p(3, 1)]);            await store.correct(a._id, '8');    // wrong answer corrected
const b = await add([p(5, 2)]);            await store.correct(b._id, '5');    // right answer confirmed
const c = await add([p(1, 3), p(7, 4)]);   await store.correct(c._id, '17');   // a number, two images
const d = await add([p(2, 5)]);                                                // never corrected
const e = await add([p(4, 6)]);            await store.correct(e._id, '44');   // 2 digits for 1 image
// Device-only sync settings with a password live in the same database; they must not leak.
await ctx.settings.saveSettings(store.db, {enabled: true, url: 'https://acct.cloudant.com/digits', auth: 'basic',
                                           username: 'apikey-v2-user', password: args.secret});
const out = ctx.export.exportCorrections(await store.listAll(), {now: new Date('2025-03-02T12:34:56Z')});
return {npz: ctx.b64(out.npz), provenance: out.provenance, names: out.names, count: out.count,
        ids: [a._id, b._id, c._id, d._id, e._id]};
"""


def _image(seed: int) -> np.ndarray:
    floats = ((seed * 7 + np.arange(784)) % 256) / 255
    return np.round(255 * floats).astype(np.uint8).reshape(28, 28)


def test_history_export_npz_loads_in_numpy(history_node, tmp_path):
    out = history_node.run(SETUP, secret=SECRET)
    raw = base64.b64decode(out["npz"])
    path = tmp_path / out["names"]["npz"]
    path.write_bytes(raw)
    assert out["names"] == {"npz": "digits-corrections-20250302-123456Z.npz", "json": "digits-corrections-20250302-123456Z.json"}

    with np.load(path) as data:
        assert sorted(data.files) == ["images", "labels"]
        images, labels = data["images"], data["labels"]
    assert images.dtype == np.uint8 and images.shape == (4, 28, 28)
    assert labels.dtype == np.uint8 and labels.shape == (4,)
    # Exact content, in listAll order (newest first): c (1, 7), b (5), a (8).
    assert labels.tolist() == [1, 7, 5, 8]
    for img, seed in zip(images, [3, 4, 2, 1]):
        np.testing.assert_array_equal(img, _image(seed))

    prov = out["provenance"]
    assert prov["format"] == "digits-corrections" and prov["count"] == 4 == out["count"]
    assert [(i["index"], i["label"], i["digit_index"]) for i in prov["items"]] == [(0, 1, 0), (1, 7, 1), (2, 5, 0), (3, 8, 0)]
    a_id, b_id, c_id, d_id, e_id = out["ids"]
    assert [i["entry_id"] for i in prov["items"]] == [c_id, c_id, b_id, a_id]
    item = prov["items"][3]
    assert (item["answer"], item["engine"], item["model_sha256"]) == ("3", "tfjs", "b" * 64)
    assert item["corrected"] > item["created"]
    assert [s["entry_id"] for s in prov["skipped"]] == [e_id]
    assert "2 digit(s)" in prov["skipped"][0]["reason"]
    sidecar = json.dumps(prov)
    assert SECRET not in sidecar and "apikey-v2-user" not in sidecar and SECRET.encode() not in raw


def test_history_export_is_a_plain_stored_zip(history_node):
    out = history_node.run(SETUP, secret=SECRET)
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(out["npz"]))) as z:
        assert z.testzip() is None  # CRCs match
        assert [(i.filename, i.compress_type) for i in z.infolist()] == [("images.npy", zipfile.ZIP_STORED), ("labels.npy", zipfile.ZIP_STORED)]
        header = z.read("images.npy")[:128]
    assert header.startswith(b"\x93NUMPY\x01\x00")
    header_len = int.from_bytes(header[8:10], "little")
    assert (10 + header_len) % 64 == 0


def test_history_export_with_no_corrections_is_empty_but_valid(history_node, tmp_path):
    out = history_node.run("""
      const store = await ctx.store.HistoryStore.open({PouchDB: ctx.PouchDB, name: 'e', adapter: 'memory'});
      await store.add({prediction: {digit: 1, confidence: 0.9, status: 'ok', image28: new Array(784).fill(0)}, engine: 'tfjs'});
      const out = ctx.export.exportCorrections(await store.listAll());
      return {npz: ctx.b64(out.npz), count: out.count};""")
    assert out["count"] == 0
    path = tmp_path / "empty.npz"
    path.write_bytes(base64.b64decode(out["npz"]))
    with np.load(path) as data:
        assert data["images"].shape == (0, 28, 28) and data["images"].dtype == np.uint8
        assert data["labels"].shape == (0,)


@pytest.mark.parametrize("n", [1, 3, 1000])
def test_history_npy_header_and_shapes(history_node, tmp_path, n):
    raw = history_node.run("""
      const data = Uint8Array.from({length: args.n * 784}, (_, i) => (i * 31) % 256);
      return ctx.b64(ctx.npz.npzUint8({x: {data, shape: [args.n, 28, 28]}, y: {data: data.subarray(0, args.n), shape: [args.n]}}));""", n=n)
    path = tmp_path / "a.npz"
    path.write_bytes(base64.b64decode(raw))
    with np.load(path) as data:
        expected = (np.arange(n * 784) * 31 % 256).astype(np.uint8)
        np.testing.assert_array_equal(data["x"], expected.reshape(n, 28, 28))
        np.testing.assert_array_equal(data["y"], expected[:n])
