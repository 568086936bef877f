"""build.py passes everything after `evaluate`, `bench` and `test` through in its order."""
import build


def test_pass_through_keeps_order(monkeypatch):
    seen = []
    for name in ("cmd_evaluate", "cmd_test", "cmd_bench"):
        monkeypatch.setattr(build, name, lambda a, n=name: seen.append((n, a.rest)))
    build.main(["evaluate", "--json", "out.json", "--weights", "w"])
    build.main(["test", "-k", "sync", "-q"])
    build.main(["bench"])
    assert seen == [("cmd_evaluate", ["--json", "out.json", "--weights", "w"]),
                    ("cmd_test", ["-k", "sync", "-q"]), ("cmd_bench", [])]
