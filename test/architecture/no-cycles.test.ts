/**
 * The layering, checked from the source files themselves (a second check beside the stage-order lint
 * rule, sharing only its STAGE_ORDER list): the folder graph of src/ built from every relative
 * import, export-from, require() and import() has no cycle, every edge goes to the same or an earlier
 * stage, and nothing in src/ reaches into test/, bench/, models/ or tools/. A failure names the files.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { packageRoot } from '../../src/package-root';

interface StageOrderModule {
  STAGE_ORDER: string[];
  LEAF_FOLDERS: string[];
  FORBIDDEN_FROM_SRC: string[];
}

const ROOT = packageRoot();
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { STAGE_ORDER, LEAF_FOLDERS, FORBIDDEN_FROM_SRC } = require(path.join(ROOT, 'eslint', 'stage-order.js')) as StageOrderModule;

/** One file-level import: `from` (repo-relative) refers to `spec`, which resolves to `to`. */
interface ImportEdge {
  from: string;
  to: string;
  spec: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const posix = (p: string) => p.split(path.sep).join('/');

/** Every relative module reference of every .ts file under `<root>/src`, by TypeScript's own pre-parser. */
function srcImports(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(path.join(root, 'src'))) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      if (!spec.startsWith('.')) continue;
      edges.push({ from: posix(path.relative(root, file)), to: posix(path.relative(root, path.resolve(path.dirname(file), spec))), spec });
    }
  }
  return edges;
}

/**
 * The node of the folder graph a repo-relative path belongs to: `src/<folder>` for a file in a folder
 * of src/ (or an import of the folder's index), `src/<name>` for a file directly in src/ (without its
 * extension, as imports name it), and the top-level folder for anything else.
 */
function folderOf(p: string): string {
  const parts = p.split('/');
  if (parts[0] !== 'src') return parts[0];
  return parts.length <= 2 ? p.replace(/\.tsx?$/, '') : `src/${parts[1]}`;
}

/** The stage of a folder-graph node of src/, or undefined for a folder that is not in STAGE_ORDER. */
function stageOf(node: string): string | undefined {
  const parts = node.split('/');
  if (!fs.existsSync(path.join(ROOT, node)) && fs.existsSync(path.join(ROOT, `${node}.ts`))) return 'leaves'; // a root file
  if (LEAF_FOLDERS.includes(parts[1])) return 'leaves';
  return STAGE_ORDER.includes(parts[1]) && parts[1] !== 'leaves' ? parts[1] : undefined;
}

/** Folder → folder, each with one file-level edge as its witness (the first found). */
function folderGraph(edges: ImportEdge[]): Map<string, Map<string, ImportEdge>> {
  const graph = new Map<string, Map<string, ImportEdge>>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.has(b)) graph.set(b, new Map());
    if (a !== b && !graph.get(a)!.has(b)) graph.get(a)!.set(b, e);
  }
  return graph;
}

/** Tarjan's strongly connected components; returns those of more than one node. */
function cyclicComponents(graph: Map<string, Map<string, unknown>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** A shortest cycle through `start` inside `component` (breadth-first), as its list of nodes. */
function cycleThrough(graph: Map<string, Map<string, unknown>>, component: string[], start: string): string[] {
  const inside = new Set(component);
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v)?.keys() ?? [])].sort()) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0])!);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`);
}

/** One line per hop: `src/a → src/b   (src/a/x.ts imports '../b/y')`. */
function describeCycle(graph: Map<string, Map<string, ImportEdge>>, cycle: string[]): string {
  const hops: string[] = [];
  for (let i = 0; i + 1 < cycle.length; i++) {
    const e = graph.get(cycle[i])!.get(cycle[i + 1])!;
    hops.push(`  ${cycle[i]} → ${cycle[i + 1]}   (${e.from} imports '${e.spec}')`);
  }
  return hops.join('\n');
}

describe('the folder graph of src/', () => {
  const edges = srcImports(ROOT);
  const graph = folderGraph(edges);

  test('the import scan sees the code (a sanity floor: src/ has many files and cross-folder imports)', () => {
    assert.ok(edges.length > 200, `only ${edges.length} relative imports found under src/`);
    assert.ok([...graph.values()].reduce((n, m) => n + m.size, 0) > 20);
  });

  test('has no cycle', () => {
    const cycles = cyclicComponents(graph).map((component) => {
      const cycle = cycleThrough(graph, component, component[0]);
      return `cycle among {${component.join(', ')}}:\n${describeCycle(graph, cycle)}`;
    });
    assert.deepEqual(cycles, [], `src/ has import cycles between folders:\n${cycles.join('\n')}`);
  });

  test('every folder of src/ is a stage of STAGE_ORDER (eslint/stage-order.js) or a leaf', () => {
    const unknown = [...graph.keys()].filter((n) => n.startsWith('src/') && stageOf(n) === undefined);
    assert.deepEqual(unknown, [], `folders missing from STAGE_ORDER: ${unknown.join(', ')}`);
  });

  test('every import goes to the same or an earlier stage (leaves → snark → onnx → … → cli)', () => {
    const bad: string[] = [];
    for (const e of edges) {
      const [a, b] = [folderOf(e.from), folderOf(e.to)];
      const [sa, sb] = [stageOf(a), b.startsWith('src/') ? stageOf(b) : undefined];
      if (sa !== undefined && sb !== undefined && STAGE_ORDER.indexOf(sb) > STAGE_ORDER.indexOf(sa)) {
        bad.push(`  stage ${sa} → later stage ${sb}: ${e.from} imports '${e.spec}'`);
      }
    }
    assert.deepEqual(bad, [], `imports against the stage order:\n${bad.join('\n')}`);
  });

  test(`nothing in src/ imports ${FORBIDDEN_FROM_SRC.map((d) => `${d}/`).join(', ')}`, () => {
    const bad = edges.filter((e) => FORBIDDEN_FROM_SRC.includes(folderOf(e.to))).map((e) => `  ${e.from} imports '${e.spec}'`);
    assert.deepEqual(bad, [], `src/ reaches outside the product code:\n${bad.join('\n')}`);
  });
});

describe('the cycle finder itself', () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to, spec: `./${to}` });

  test('finds a three-folder cycle and prints one file-level edge per hop', () => {
    const graph = folderGraph([edge('src/chain/a.ts', 'src/prover/b'), edge('src/prover/b.ts', 'src/verifier/c'), edge('src/verifier/c.ts', 'src/chain/d'), edge('src/verifier/c.ts', 'src/errors')]);
    const [component, ...rest] = cyclicComponents(graph);
    assert.deepEqual(rest, []);
    assert.deepEqual(component, ['src/chain', 'src/prover', 'src/verifier']);
    const cycle = cycleThrough(graph, component, 'src/chain');
    assert.deepEqual(cycle, ['src/chain', 'src/prover', 'src/verifier', 'src/chain']);
    assert.match(describeCycle(graph, cycle), /src\/verifier → src\/chain {3}\(src\/verifier\/c\.ts imports '\.\/src\/chain\/d'\)/);
  });

  test('an acyclic graph has no cyclic component; imports inside one folder are no edge', () => {
    const graph = folderGraph([edge('src/cli/a.ts', 'src/jobs/b'), edge('src/jobs/b.ts', 'src/jobs/c'), edge('src/jobs/c.ts', 'src/formats/d')]);
    assert.deepEqual(cyclicComponents(graph), []);
  });

  test('stages: root files and formats/ are leaves, snark first, cli last, an unlisted folder is unknown', () => {
    assert.equal(folderOf('src/errors.ts'), 'src/errors');
    assert.equal(folderOf('src/onnx/ops/gemm.ts'), 'src/onnx');
    assert.equal(stageOf('src/errors'), 'leaves');
    assert.equal(stageOf('src/package-root'), 'leaves');
    assert.equal(stageOf('src/formats'), 'leaves');
    assert.equal(stageOf('src/snark'), 'snark');
    assert.equal(STAGE_ORDER[1], 'snark');
    assert.equal(STAGE_ORDER[STAGE_ORDER.length - 1], 'cli');
    assert.equal(stageOf('src/nowhere'), undefined);
  });
});
