"""History store (web/js/history/store.js + entry.js) in Node, on PouchDB's in-memory adapter."""
from __future__ import annotations

import base64

import pytest

from tests.history_driver import NodeError

# A store with a clock the test controls (each call to now() is 1 s later), and a reading factory.
OPEN = """
let t = Date.parse('2025-01-01T00:00:00Z');
ctx.vars.now = () => new Date((t += 1000));
ctx.vars.store = await ctx.store.HistoryStore.open({PouchDB: ctx.PouchDB, name: 'h', adapter: 'memory', now: ctx.vars.now});
ctx.vars.image = (v) => Array.from({length: 784}, (_, i) => (i === 0 ? v : (i % 28) / 27));
ctx.vars.reading = (digit, extra = {}) => ({
  prediction: {digit, confidence: 0.9, status: 'ok', box: [1, 2, 30, 40], image28: ctx.vars.image(digit / 9)},
  engine: 'tfjs', model_sha256: 'f'.repeat(64), source: 'pad', ...extra,
});
"""


@pytest.fixture
def node(history_node):
    history_node.run(OPEN)
    return history_node


def test_history_add_update_correct_delete(node):
    e = node.run("return await ctx.vars.store.add(ctx.vars.reading(7))")
    assert e["_id"].startswith("entry:2025-01-01T00:00:01.000Z:")
    assert (e["answer"], e["status"], e["confidence"], e["engine"]) == ("7", "ok", 0.9, "tfjs")
    assert e["schema"] == 1 and e["correction"] is None and e["model_sha256"] == "f" * 64
    assert e["digits"][0]["box"] == [1, 2, 30, 40]
    image = base64.b64decode(e["digits"][0]["image28"])
    assert len(image) == 784 and image[0] == round(255 * 7 / 9) and image[27] == 255

    # Later strokes of the same drawing update the same entry.
    u = node.run("return await ctx.vars.store.update(args.id, ctx.vars.reading(1))", id=e["_id"])
    assert u["_id"] == e["_id"] and u["answer"] == "1" and u["created"] == e["created"] and u["updated"] > e["updated"]
    assert node.run("return await ctx.vars.store.count()") == 1

    c = node.run("return await ctx.vars.store.correct(args.id, ' 7 ')", id=e["_id"])
    assert c["correction"]["digits"] == "7" and c["correction_history"] == []
    c2 = node.run("return await ctx.vars.store.correct(args.id, '4')", id=e["_id"])
    assert c2["correction"]["digits"] == "4"
    assert [h["digits"] for h in c2["correction_history"]] == ["7"]  # the earlier correction is kept
    assert node.run("return (await ctx.vars.store.get(args.id)).correction.digits", id=e["_id"]) == "4"

    node.run("await ctx.vars.store.remove(args.id)", id=e["_id"])
    assert node.run("return await ctx.vars.store.count()") == 0
    with pytest.raises(NodeError) as err:
        node.run("return await ctx.vars.store.correct(args.id, '1')", id=e["_id"])
    assert err.value.kind == "not_found" and "deleted" in err.value.js_message


def test_history_lists_more_than_25_newest_first(node):
    # PouchDB 9's find() stops at 25 results unless given a limit; listing must not.
    ids = node.run("const ids = []; for (let i = 0; i < 60; i++) ids.push((await ctx.vars.store.add(ctx.vars.reading(i % 10)))._id); return ids")
    newest_first = list(reversed(ids))
    assert node.run("return (await ctx.vars.store.list({limit: 100})).map(e => e._id)") == newest_first
    assert node.run("return (await ctx.vars.store.listAll()).map(e => e._id)") == newest_first
    pages = node.run("""
      const pages = []; let after = null;
      for (;;) { const page = await ctx.vars.store.list({limit: 25, after}); if (!page.length) break;
                 pages.push(page.map(e => e._id)); after = page[page.length - 1]._id; }
      return pages""")
    assert [len(p) for p in pages] == [25, 25, 10]
    assert sum(pages, []) == newest_first
    assert node.run("return await ctx.vars.store.count()") == 60
    assert node.run("return await ctx.vars.store.clear()") == 60
    assert node.run("return (await ctx.vars.store.list()).length") == 0


def test_history_number_entry_keeps_each_digit(node):
    e = node.run("""
      const d = (digit, confidence, status) => ({digit, confidence, status, box: [digit, 0, 10, 20], image28: ctx.vars.image(digit / 9)});
      return await ctx.vars.store.add({digits: [d(4, 0.99, 'ok'), d(2, 0.5, 'unsure'), d(1, 0.9, 'ok')], engine: 'python',
                                      model_sha256: 'a'.repeat(64), source: 'upload', thumbnail: 'data:image/png;base64,iVBORw0KGgo='})""")
    assert (e["answer"], e["status"], e["source"], e["engine"]) == ("421", "unsure", "upload", "python")
    assert e["confidence"] == pytest.approx(0.99 * 0.5 * 0.9)
    assert [d["answer"] for d in e["digits"]] == ["4", "2", "1"]
    assert [d["box"][0] for d in e["digits"]] == [4, 2, 1]
    assert e["thumbnail"].startswith("data:image/png;base64,")
    nad = node.run("""return await ctx.vars.store.add({prediction: {digit: null, confidence: 0.8, status: 'not_a_digit',
                     box: [0, 0, 5, 5], image28: ctx.vars.image(0)}, engine: 'tfjs', source: 'pad'})""")
    assert (nad["answer"], nad["status"], nad["confidence"]) == ("", "not_a_digit", None)


def test_history_redraw_after_correction_keeps_the_correction_in_history(node):
    e = node.run("return await ctx.vars.store.add(ctx.vars.reading(3))")
    node.run("await ctx.vars.store.correct(args.id, '8')", id=e["_id"])
    u = node.run("return await ctx.vars.store.update(args.id, ctx.vars.reading(8))", id=e["_id"])
    assert u["correction"] is None
    assert [(h["digits"], h["note"]) for h in u["correction_history"]] == [("8", "drawing changed after this correction")]


@pytest.mark.parametrize("bad, field", [
    ("{...ctx.vars.reading(1), thumbnail: 'javascript:alert(1)'}", "thumbnail"),
    ("{...ctx.vars.reading(1), prediction: {digit: 1, status: 'ok', image28: [0.5, 0.5]}}", "image28"),
    ("{engine: 'tfjs'}", "digits"),
])
def test_history_rejects_bad_readings_and_stores_nothing(node, bad, field):
    with pytest.raises(NodeError) as err:
        node.run(f"return await ctx.vars.store.add({bad})")
    assert err.value.kind == "invalid" and field in err.value.js_message
    assert node.run("return await ctx.vars.store.count()") == 0


@pytest.mark.parametrize("text", ["", "x", "1.5", "-3", "1" * 33])
def test_history_rejects_bad_corrections(node, text):
    e = node.run("return await ctx.vars.store.add(ctx.vars.reading(3))")
    with pytest.raises(NodeError) as err:
        node.run("return await ctx.vars.store.correct(args.id, args.text)", id=e["_id"], text=text)
    assert err.value.kind == "invalid"
    assert node.run("return (await ctx.vars.store.get(args.id)).correction", id=e["_id"]) is None


def test_history_without_indexeddb_is_a_clear_unavailable_error(history_node):
    # Node has no IndexedDB, as a browser in some private modes: the idb adapter is refused.
    with pytest.raises(NodeError) as err:
        history_node.run("return await ctx.store.HistoryStore.open({PouchDB: ctx.PouchDB, adapter: 'idb'})")
    assert err.value.kind == "unavailable"
    assert "Recognition still works" in err.value.js_message
    with pytest.raises(NodeError) as err:
        history_node.run("return await ctx.store.HistoryStore.open({PouchDB: undefined})")
    assert err.value.kind == "unavailable"


def test_history_storage_errors_are_classified(history_node):
    kinds = history_node.run("""
      const f = ctx.errors.historyErrorFrom;
      return [
        // what PouchDB's IndexedDB adapter reports when a transaction aborts on a full disk
        f({name: 'indexed_db_went_bad', status: 500, reason: 'QuotaExceededError', message: 'unknown'}, 'save the entry'),
        f(Object.assign(new Error('The quota has been exceeded.'), {name: 'QuotaExceededError'}), 'save the entry'),
        f({name: 'indexed_db_went_bad', status: 500, reason: 'Failed to open indexedDB, are you in private browsing mode?'}, 'open its database'),
        f(new Error('disk on fire'), 'save the entry'),
      ].map(e => [e.kind, e.message]);""")
    assert [k for k, _ in kinds] == ["quota", "quota", "unavailable", "storage"]
    assert "History is full" in kinds[0][1] and "Delete old entries" in kinds[0][1]
    assert kinds[3][1] == "History could not save the entry: disk on fire."


def test_history_paging_survives_a_deleted_page_end(node):
    ids = node.run("const ids = []; for (let i = 0; i < 5; i++) ids.push((await ctx.vars.store.add(ctx.vars.reading(i)))._id); return ids")
    newest_first = list(reversed(ids))
    first = node.run("return (await ctx.vars.store.list({limit: 2})).map(e => e._id)")
    assert first == newest_first[:2]
    node.run("await ctx.vars.store.remove(args.id)", id=first[-1])  # deleted (here or by sync) before the next page
    rest = node.run("return (await ctx.vars.store.list({limit: 10, after: args.after})).map(e => e._id)", after=first[-1])
    assert rest == newest_first[2:], "no entry is passed over"


def test_history_change_listener_sees_adds_updates_and_deletes(node):
    events = node.run("""
      const events = [];
      const stop = ctx.vars.store.onChange((c) => events.push([c.id, c.deleted]));
      const e = await ctx.vars.store.add(ctx.vars.reading(2));
      await ctx.vars.store.correct(e._id, '3');
      await ctx.vars.store.remove(e._id);
      await ctx.waitFor(() => events.length >= 3, 5000, 'three changes');
      stop();
      await ctx.vars.store.add(ctx.vars.reading(4));
      await ctx.sleep(200);
      return [e._id, events];""")
    entry_id, seen = events
    assert seen == [[entry_id, False], [entry_id, False], [entry_id, True]], "and nothing after unsubscribing"


def test_history_store_reopens_a_database_whose_connection_was_closed(node):
    # What PouchDB's IndexedDB adapter does after the browser aborts a write (a full disk): it closes the
    # connection, and every later call fails. The store reopens it and carries on, with its change feeds.
    first = node.run("return (await ctx.vars.store.add(ctx.vars.reading(3)))._id")
    node.run("""ctx.vars.changes = []; ctx.vars.reopened = 0;
      ctx.vars.store.onChange((c) => ctx.vars.changes.push(c.id));
      ctx.vars.store.onReopen(() => ctx.vars.reopened++);
      ctx.vars.oldDb = ctx.vars.store.db;
      await ctx.vars.store.db.close();""")
    second = node.run("return (await ctx.vars.store.add(ctx.vars.reading(4)))._id")
    assert node.run("return ctx.vars.reopened") == 1
    assert node.run("return ctx.vars.store.db !== ctx.vars.oldDb")
    assert [e["_id"] for e in node.run("return await ctx.vars.store.listAll()")] == [second, first], "nothing was lost"
    third = node.run("return (await ctx.vars.store.add(ctx.vars.reading(5)))._id")
    node.run("await ctx.waitFor(() => ctx.vars.changes.includes(args.id))", id=third)
    assert None in node.run("return ctx.vars.changes"), "listeners are told to look again after the reopen"
