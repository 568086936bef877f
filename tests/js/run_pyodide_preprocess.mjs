// Run pymodel.preprocess under Pyodide's Python (the page's Python engine, 3.14) on every fixture in a
// directory and print the results as JSON, as run_preprocess.mjs does for the JavaScript port; and the
// number reading (segment's candidates, Model.read_once replayed with the fixture's stored outputs, and
// Model.read where the fixture stores readings inside a margin).
// Usage: node tests/js/run_pyodide_preprocess.mjs <fixture-dir>
// Used by tests/test_preprocess_golden.py: CPython here, Pyodide and JavaScript must agree exactly.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pyodideDir = join(root, "node_modules", "pyodide");
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: `${pyodideDir}/` });
py.FS.mkdirTree("/w/pymodel");
for (const name of readdirSync(join(root, "pymodel")).filter((f) => f.endsWith(".py"))) {
  py.FS.writeFile(`/w/pymodel/${name}`, readFileSync(join(root, "pymodel", name)));
}
py.FS.writeFile("/w/stored_scores.py", readFileSync(join(root, "tests", "fixtures", "stored_scores.py")));
py.runPython(`import json, sys
sys.path.insert(0, '/w')
from pymodel.preprocess import analyse, normalize, preprocess
from pymodel.segment import candidates
from stored_scores import StoredScores


def read(fx):
    stored = fx['read']
    page = analyse(fx['gray'], fx['width'], fx['height'], stored['drawn'])
    skippable, spans = ([], []) if page.empty else candidates(page, normalize)
    model = StoredScores(stored['rules'], stored['batch_scores'], stored['single_scores'],
                         recut=stored.get('recut_scores'), rows=stored.get('row_logits'))
    r = model.read_once(fx['gray'], fx['width'], fx['height'], stored['drawn'])
    final = None
    if 'margin' in stored:
        model = StoredScores(stored['rules'], stored['batch_scores'], stored['single_scores'], stored['margin'],
                             stored.get('recut_scores'), stored.get('row_logits'))
        final = summary(model.read(fx['gray'], fx['width'], fx['height'], stored['drawn']))
    return {'skippable': list(skippable or []),
            'candidates': [{'box': s.digit.box, 'image28': s.image28} for s in spans],
            'reading': summary(r), 'final': final}


def summary(r):
    return {'number': r.number, 'digits': [{'digit': d.digit, 'status': d.status, 'confidence': d.confidence,
                                            'box': d.box} for d in r.digits]}`);

const dir = process.argv[2];
const results = { version: py.runPython("sys.version.split()[0]"), fixtures: {} };
for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
  // Through Pyodide's file system: large strings handed back directly come out garbled in Node.
  py.FS.writeFile("/w/in.json", readFileSync(join(dir, name)));
  py.runPython(`fx = json.load(open('/w/in.json'))
r = preprocess(fx['gray'], fx['width'], fx['height'])
json.dump({'empty': r.empty, 'inverted': r.inverted, 'box': r.box, 'image28': r.image28, 'read': read(fx)},
          open('/w/out.json', 'w'))`);
  results.fixtures[name] = JSON.parse(py.FS.readFile("/w/out.json", { encoding: "utf8" }));
}
process.stdout.write(JSON.stringify(results));
