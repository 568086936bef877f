"""When an answer becomes a history entry (web/js/history-recorder.js), in Node with a real HistoryStore on
PouchDB's memory adapter and a clock the test moves by hand. The page-level version draws in Chromium
(tests/browser/test_history_page.py)."""
from __future__ import annotations

import pytest

SETUP = """
// A clock the test controls: timers fire only when ctx.vars.tick(ms) moves time past them.
const timers = {now: 0, next: 1, due: new Map(),
  setTimeout(fn, ms) { const id = this.next++; this.due.set(id, {at: this.now + ms, fn}); return id; },
  clearTimeout(id) { this.due.delete(id); }};
ctx.vars.tick = async (ms) => {
  timers.now += ms;
  for (const [id, t] of [...timers.due].sort((a, b) => a[1].at - b[1].at)) {
    if (t.at <= timers.now && timers.due.has(id)) { timers.due.delete(id); t.fn(); }
  }
  await ctx.vars.recorder.queue;
};
ctx.vars.store = await ctx.store.HistoryStore.open({PouchDB: ctx.PouchDB, name: 'rec' + Math.random(), adapter: 'memory'});
ctx.vars.saved = [];
ctx.vars.errors = [];
ctx.vars.recorder = new ctx.recorder.HistoryRecorder({
  store: ctx.vars.store, timers, modelSha256: () => 'f'.repeat(64),
  thumbnail: (input) => 'data:image/png;base64,' + btoa(input.name),
  onSaved: (entry, {created}) => ctx.vars.saved.push({id: entry._id, answer: entry.answer, created}),
  onError: (err) => ctx.vars.errors.push(err.message),
});
ctx.vars.inputs = {};
// input(name, source): the same name is the same input object (an answer repeated for it, e.g. another engine).
ctx.vars.input = (name, source = 'pad') => (ctx.vars.inputs[name] ??= {name, source, gray: [], width: 1, height: 1});
ctx.vars.result = (digit, extra = {}) => ({engine: 'tfjs', digit, confidence: 0.95, status: digit === null ? 'empty' : 'ok',
  probs: new Array(10).fill(0.005), box: [1, 2, 3, 4], image28: new Array(784).fill(0.5), ...extra});
ctx.vars.show = (digit, name, source, extra) =>
  ctx.vars.recorder.onResult(ctx.vars.result(digit, extra), name === null ? null : ctx.vars.input(name, source));
ctx.vars.entries = async () => (await ctx.vars.store.listAll()).map((e) => ({id: e._id, rev: e._rev, answer: e.answer,
  source: e.source, thumbnail: e.thumbnail, model: e.model_sha256, digits: e.digits.length, status: e.status}));
"""


@pytest.fixture
def rec(history_node):
    history_node.run(SETUP)
    return history_node


def entries(rec) -> list[dict]:
    return rec.run("return await ctx.vars.entries()")


def test_history_recorder_drawing_is_saved_once_after_the_pause(rec):
    rec.run("ctx.vars.show(1, 'stroke1'); ctx.vars.show(7, 'stroke2'); await ctx.vars.tick(1999)")
    assert entries(rec) == [], "nothing is saved while the user may still be drawing"
    rec.run("await ctx.vars.tick(1)")
    [entry] = entries(rec)
    assert entry["answer"] == "7" and entry["rev"].startswith("1-"), "one write, with the latest answer"
    assert entry["source"] == "pad" and entry["model"] == "f" * 64 and entry["thumbnail"].endswith(rec.run("return btoa('stroke2')"))


def test_history_recorder_later_strokes_update_the_same_entry_and_clear_starts_a_new_one(rec):
    rec.run("ctx.vars.show(1, 'a1'); await ctx.vars.tick(2000)")
    first = entries(rec)[0]
    rec.run("ctx.vars.show(7, 'a2'); await ctx.vars.tick(2500)")
    [updated] = entries(rec)
    assert updated["id"] == first["id"] and updated["answer"] == "7" and updated["rev"].startswith("2-")
    # Clearing before the pause is over saves at once (the clear is the end of the drawing).
    rec.run("ctx.vars.show(4, 'a3'); ctx.vars.show(null, null); await ctx.vars.recorder.queue")
    [cleared] = entries(rec)
    assert cleared["id"] == first["id"] and cleared["answer"] == "4" and cleared["rev"].startswith("3-")
    rec.run("ctx.vars.show(0, 'b1'); await ctx.vars.tick(2000)")
    after = entries(rec)
    assert [e["answer"] for e in after] == ["0", "4"], "the next drawing is a new entry, newest first"
    assert [s["created"] for s in rec.run("return ctx.vars.saved")] == [True, False, False, True]


def test_history_recorder_a_new_stroke_postpones_the_save(rec):
    rec.run("ctx.vars.show(1, 's1'); await ctx.vars.tick(1500); ctx.vars.recorder.strokeStarted(); await ctx.vars.tick(1500)")
    assert entries(rec) == [], "the pause starts again when the stroke ends"
    rec.run("ctx.vars.show(7, 's2'); await ctx.vars.tick(2000)")
    assert [e["answer"] for e in entries(rec)] == ["7"]


def test_history_recorder_upload_is_saved_at_once_and_not_again_for_the_same_image(rec):
    rec.run("ctx.vars.show(3, 'photo', 'upload'); await ctx.vars.recorder.queue")
    [entry] = entries(rec)
    assert entry["source"] == "upload" and entry["answer"] == "3"
    # The same image answered again (engine switched, Python finished loading): the entry stays as it was.
    rec.run("ctx.vars.show(8, 'photo', 'upload', {engine: 'python'}); await ctx.vars.tick(5000)")
    assert entries(rec) == [entry]
    rec.run("ctx.vars.show(5, 'photo2', 'upload'); await ctx.vars.recorder.queue")
    assert [e["answer"] for e in entries(rec)] == ["5", "3"]


def test_history_recorder_a_region_chosen_on_an_upload_updates_its_entry(rec):
    rec.run("ctx.vars.show(3, 'photo', 'upload'); await ctx.vars.recorder.queue")
    [entry] = entries(rec)
    # The user's region (web/js/region-crop.js): an input of its own that knows the upload it was cut from.
    rec.run("ctx.vars.inputs.crop = {name: 'crop', source: 'upload', gray: [], width: 1, height: 1,"
            " region: {box: [0, 0, 1, 1], source: ctx.vars.input('photo', 'upload')}};"
            " ctx.vars.show(6, 'crop', 'upload'); await ctx.vars.recorder.queue")
    [chosen] = entries(rec)
    assert chosen["id"] == entry["id"] and chosen["answer"] == "6" and chosen["rev"].startswith("2-")
    assert chosen["thumbnail"].endswith(rec.run("return btoa('crop')")), "the picture is what was read"
    rec.run("ctx.vars.show(3, 'photo', 'upload'); await ctx.vars.recorder.queue")  # "Automatic"
    [back] = entries(rec)
    assert back["id"] == entry["id"] and back["answer"] == "3" and back["rev"].startswith("3-")
    rec.run("ctx.vars.show(5, 'photo2', 'upload'); await ctx.vars.recorder.queue")
    assert [e["answer"] for e in entries(rec)] == ["5", "3"], "another upload is another entry"


def test_history_recorder_an_upload_ends_the_drawing_and_blank_inputs_are_not_kept(rec):
    rec.run("ctx.vars.show(2, 'd1'); ctx.vars.show(9, 'photo', 'upload'); await ctx.vars.recorder.queue")
    assert sorted((e["source"], e["answer"]) for e in entries(rec)) == [("pad", "2"), ("upload", "9")]
    rec.run("ctx.vars.show(null, 'blank', 'upload'); ctx.vars.show(null, 'speck'); ctx.vars.show(null, null);"
            " await ctx.vars.tick(5000)")
    assert len(entries(rec)) == 2, "an empty answer (nothing drawn, nothing in the image) is not an entry"


def test_history_recorder_same_drawing_answered_again_is_not_rewritten(rec):
    rec.run("ctx.vars.show(6, 'x1'); await ctx.vars.tick(2000); ctx.vars.show(6, 'x1', 'pad', {engine: 'python'});"
            " await ctx.vars.tick(5000)")
    [entry] = entries(rec)
    assert entry["rev"].startswith("1-")


def test_history_recorder_keeps_every_digit_of_a_number(rec):
    rec.run("""ctx.vars.show(4, 'n1', 'pad', {number: '42', digits: [
        {digit: 4, confidence: 0.9, status: 'ok', box: [0, 0, 5, 9], probs: new Array(10).fill(0.01), image28: new Array(784).fill(0.2)},
        {digit: 2, confidence: 0.6, status: 'unsure', box: [6, 0, 5, 9], probs: new Array(10).fill(0.01), image28: new Array(784).fill(0.3)}]});
      await ctx.vars.tick(2000)""")
    [entry] = entries(rec)
    assert entry["answer"] == "42" and entry["digits"] == 2 and entry["status"] == "unsure"


def test_history_recorder_entry_deleted_meanwhile_gets_a_new_one(rec):
    rec.run("ctx.vars.show(1, 'y1'); await ctx.vars.tick(2000)")
    first = entries(rec)[0]["id"]
    rec.run("await ctx.vars.store.remove(args.id); ctx.vars.show(7, 'y2'); await ctx.vars.tick(2000)", id=first)
    [entry] = entries(rec)
    assert entry["id"] != first and entry["answer"] == "7"
    assert rec.run("return ctx.vars.errors") == []


def test_history_recorder_reports_a_failed_save_and_goes_on(rec):
    rec.run("""ctx.vars.realAdd = ctx.vars.store.add.bind(ctx.vars.store);
      ctx.vars.store.add = async () => { throw new ctx.errors.HistoryError('quota', 'History is full: test'); };
      ctx.vars.show(1, 'q1', 'upload'); await ctx.vars.recorder.queue;
      ctx.vars.store.add = ctx.vars.realAdd;
      ctx.vars.show(2, 'q2', 'upload'); await ctx.vars.recorder.queue""")
    assert rec.run("return ctx.vars.errors") == ["History is full: test"]
    assert [e["answer"] for e in entries(rec)] == ["2"]
