// A node:test reporter that prints one line per test file (node 20 reports each file's completion,
// with the wall time of its process, as a test:complete named by its path): the time in seconds, its pass/fail/skip counts and its path, slowest first, then the totals.
// Use beside the usual reporter:
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./scripts/test-durations.mjs --test-reporter-destination=durations.txt dist-test/test/
export default async function* durations(source) {
  const files = new Map();
  const counts = (file) => {
    if (!files.has(file)) files.set(file, { ms: 0, pass: 0, fail: 0, skip: 0 });
    return files.get(file);
  };
  for await (const event of source) {
    const { data } = event;
    if (event.type === 'test:complete' && data.nesting === 0 && data.file && data.name === data.file) {
      counts(data.file).ms = data.details.duration_ms;
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    // Leaf tests only: a describe's own pass/fail would count its tests twice.
    if (data.details?.type === 'suite' || !data.file) continue;
    const c = counts(data.file);
    if (data.skip !== undefined || data.todo !== undefined) c.skip++;
    else if (event.type === 'test:pass') c.pass++;
    else c.fail++;
  }
  const rows = [...files].sort((a, b) => b[1].ms - a[1].ms);
  const total = { ms: 0, pass: 0, fail: 0, skip: 0 };
  for (const [file, c] of rows) {
    for (const k of Object.keys(total)) total[k] += c[k];
    yield `${(c.ms / 1000).toFixed(1).padStart(7)} s  ${String(c.pass).padStart(4)} pass ${String(c.fail).padStart(3)} fail ${String(c.skip).padStart(3)} skip  ${file}\n`;
  }
  yield `${(total.ms / 1000).toFixed(1).padStart(7)} s  ${String(total.pass).padStart(4)} pass ${String(total.fail).padStart(3)} fail ${String(total.skip).padStart(3)} skip  (sum over ${rows.length} files)\n`;
}
