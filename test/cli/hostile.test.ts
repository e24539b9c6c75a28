/**
 * The terminal is not the target's to write: names a traced program controls
 * (functions, files, modules, audit events, paths of binaries) reach every
 * text output escaped, one event per line, and NDJSON exactly.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ATTACHED, killAll, Proc, PYTHON, pytrace, pytraceDone, pytraceWith, target } from './helpers';

afterEach(killAll);

// As test/cli-scripts/hostile.py names them.
const FUNC = 'fn\x1b]0;pwned\x07\x1b[2J\r\n999 forged\x7f\x9b31m\u2028\\x1b';
const BASE = 'evil\x1b]0;pwned\x07\n\x9b2J\x7f.py';
const MODULE = 'mod\x1b[2J\nforged\x9b';
const AUDIT = 'pytrace\x1b]0;pwned\x07\r\nforged\x7f\x9b';

// The same, as the text outputs must show them (written out, not computed).
const FUNC_SHOWN = 'fn\\x1b]0;pwned\\x07\\x1b[2J\\r\\n999 forged\\x7f\\x9b31m\\u2028\\\\x1b';
const BASE_SHOWN = 'evil\\x1b]0;pwned\\x07\\n\\x9b2J\\x7f.py';
const MODULE_SHOWN = 'mod\\x1b[2J\\nforged\\x9b';
const AUDIT_SHOWN = "pytrace\\x1b]0;pwned\\x07\\r\\nforged\\x7f\\x9b('a\\x1b[2J\\n\\x7fb\\\\', 7)";

/** Anything a terminal could act on, or that breaks a line: none may be left in text output (tabs: the dtrace layout's). */
const RAW = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]/;

function expectNoRawControls(lines: string[]): void {
  for (const l of lines) expect([l, RAW.test(l)]).toEqual([l, false]);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-hostile-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `args` in text and with --json at once on one hostile.py, through
 * `step`: the same events reach both.
 */
async function both(args: string[], step: string): Promise<{ text: string[]; json: any[]; py: Proc }> {
  const py = await target('hostile.py', dir);
  const text = pytrace(...args, String(py.pid));
  const json = pytrace(args[0], String(py.pid), '--json');
  await text.waitFor(ATTACHED, 'stderr');
  await json.waitFor(ATTACHED, 'stderr');
  py.send(`${step}\n`);
  await py.waitFor(new RegExp(`^done ${step}$`, 'm'));
  py.send('exit\n');
  expect((await text.exited).code).toBe(0);
  expect((await json.exited).code).toBe(0);
  expectNoRawControls(text.stdout.split('\n'));
  expectNoRawControls(text.stderr.split('\n'));
  // NDJSON too: JSON.stringify leaves DEL, C1 and U+2028 raw; pytrace writes them as \u escapes.
  expectNoRawControls(json.stdout.split('\n'));
  return { text: text.lines, json: json.lines.map((l) => JSON.parse(l)), py };
}

test('calls: dtrace and stap layouts escape the names; one line per event; JSON exact', async () => {
  const file = path.join(dir, BASE);
  const { text, json, py } = await both(['calls'], 'calls');
  expect(text.length).toBe(json.length);
  const mine = json.filter((e) => e.filename === file);
  expect(mine.map((e) => [e.type, e.function, e.lineno])).toEqual(
    [0, 1, 2].flatMap(() => [
      ['function-entry', FUNC, 1],
      ['function-return', FUNC, 2],
    ]),
  );
  const shown = text.filter((l) => l.includes(BASE_SHOWN)).map((l) => l.replace(/^\d+\t/, ''));
  expect(shown).toEqual(
    [0, 1, 2].flatMap(() => [
      ` function-entry:${BASE_SHOWN}:${FUNC_SHOWN}:1`,
      `function-return:${BASE_SHOWN}:${FUNC_SHOWN}:2`,
    ]),
  );

  py.kill();
  const stap = await both(['calls', '--format', 'stap'], 'calls');
  // The thread's name is the script's too: "py\x1b[2J\n".
  const stapShown = stap.text
    .filter((l) => l.includes(BASE_SHOWN))
    .map((l) => l.replace(/^ *\d+ py\\x1b\[2J\\n\(\d+\):/, ''));
  const where = `${dir}/${BASE_SHOWN}`;
  expect(stapShown).toEqual(
    [0, 1, 2].flatMap(() => [` => ${FUNC_SHOWN} in ${where}:1`, ` <= ${FUNC_SHOWN} in ${where}:2`]),
  );
});

test('lines, audit, imports: the names escaped, the JSON exact', async () => {
  const file = path.join(dir, BASE);
  const lines = await both(['lines'], 'calls');
  expect(lines.text.length).toBe(lines.json.length);
  expect(lines.json.filter((e) => e.filename === file).map((e) => [e.function, e.lineno])).toEqual(
    [0, 1, 2].map(() => [FUNC, 2]),
  );
  const lineText = lines.text.filter((l) => l.includes(BASE_SHOWN)).map((l) => l.replace(/^\d+ +\d+ /, ''));
  expect(lineText).toEqual([0, 1, 2].map(() => `${dir}/${BASE_SHOWN}:${FUNC_SHOWN}:2`));
  lines.py.kill();

  const audit = await both(['audit'], 'audit');
  const auditJson = audit.json.filter((e) => e.type === 'audit');
  // Then the interpreter's own as it exits.
  expect(auditJson.map((e) => e.event)).toEqual([
    AUDIT,
    'cpython.PyInterpreterState_Clear',
    'cpython._PySys_ClearAuditHooks',
  ]);
  expect(audit.json.at(-1).audit.events[AUDIT]).toBe(1);
  // One line per event, then the summary: a count, and the count per name.
  const auditText = audit.text.map((l) => l.replace(/^\d+ +\d+ /, ''));
  expect(auditText.slice(0, 4)).toEqual([
    AUDIT_SHOWN,
    'cpython.PyInterpreterState_Clear()',
    'cpython._PySys_ClearAuditHooks()',
    'audit: 3 events',
  ]);
  expect(auditText.slice(4).sort()).toEqual(
    [
      '         1 cpython.PyInterpreterState_Clear',
      '         1 cpython._PySys_ClearAuditHooks',
      `         1 ${AUDIT_SHOWN.slice(0, AUDIT_SHOWN.indexOf('('))}`,
    ].sort(),
  );
  audit.py.kill();

  const imports = await both(['imports'], 'import');
  expect(imports.json.slice(0, -1).map((e) => [e.type, e.module, e.found])).toEqual([
    ['import-find-load-start', MODULE, undefined],
    ['import-find-load-done', MODULE, true],
  ]);
  const importText = imports.text.map((l) => l.replace(/^\d+ +\d+ /, '').replace(/, [\d.]+ [mun]?s$/, ', DURATION'));
  expect(importText.slice(0, 2)).toEqual([
    `import-find-load-start ${MODULE_SHOWN}`,
    `import-find-load-done  ${MODULE_SHOWN} found, DURATION`,
  ]);
  expect(importText.filter((l) => l.startsWith('  slowest: '))).toHaveLength(1);
  expect(importText.find((l) => l.startsWith('  slowest: '))).toMatch(
    new RegExp(`^  slowest: ${escapeRe(MODULE_SHOWN)} [\\d.]+ [mun]?s$`),
  );
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('top: rows escaped and fitted, names elided with "…"; JSON exact', async () => {
  const file = path.join(dir, BASE);
  const py = await target('hostile.py', dir);
  const text = pytraceWith(
    { COLUMNS: '100' },
    'top',
    '--pid',
    String(py.pid),
    '--interval',
    '0.5',
    '--iterations',
    '2',
  );
  const json = pytrace('top', '--pid', String(py.pid), '--interval', '0.5', '--iterations', '2', '--json');
  await text.waitFor(/counting calls/, 'stderr');
  await json.waitFor(/counting calls/, 'stderr');
  py.send('loop\n');
  expect((await text.exited).code).toBe(0);
  expect((await json.exited).code).toBe(0);
  expectNoRawControls(text.stdout.split('\n'));
  const rows = json.lines.flatMap((l) => JSON.parse(l).top);
  expect(rows.filter((r: any) => r.function === FUNC).every((r: any) => r.filename === file && r.lineno === 1)).toBe(
    true,
  );
  expect(rows.some((r: any) => r.function === FUNC)).toBe(true);
  const mine = text.lines.filter((l) => l.includes(BASE_SHOWN));
  expect(mine.length).toBeGreaterThan(0);
  for (const l of mine) {
    expect(l.length).toBeLessThanOrEqual(100);
    // The file's name is kept at the end of its column; the function's elided in the middle.
    expect(l).toMatch(
      new RegExp(
        `^ +\\d+ +${escapeRe(dir.slice(0, 5))}[^ …]*…${escapeRe(BASE_SHOWN)} +1 ${escapeRe(FUNC_SHOWN.slice(0, 5))}[^ …]*…[^ …]*${escapeRe(FUNC_SHOWN.slice(-5))} +\\d+$`,
      ),
    );
  }
});

test("run: the command's names escaped in the hierarchy", async () => {
  const cli = pytrace('run', '--', PYTHON, path.resolve(__dirname, '../cli-scripts/hostile.py'), dir);
  await cli.waitFor(/^ready$/m);
  cli.send('calls\nexit\n');
  expect((await cli.exited).code).toBe(0);
  const lines = cli.stdout.split('\n');
  expectNoRawControls(lines);
  expect(lines.filter((l) => l.includes(`${BASE_SHOWN}:${FUNC_SHOWN}:`)).map((l) => l.replace(/^\d+\t/, ''))).toEqual(
    [0, 1, 2].flatMap(() => [
      ` function-entry: ${BASE_SHOWN}:${FUNC_SHOWN}:1`,
      `function-return: ${BASE_SHOWN}:${FUNC_SHOWN}:2`,
    ]),
  );
  // The module-level code compiled under that name, and the import of the module.
  expect(lines.some((l) => l.includes(`${BASE_SHOWN}:<module>:1`))).toBe(true);
});

test('list and describe: a Python binary at a path with escape sequences', async () => {
  const python = path.join(dir, 'python3.11\x1b]0;pwned\x07\n\x9b');
  fs.copyFileSync(PYTHON, python);
  const shownPath = `${dir}/python3.11\\x1b]0;pwned\\x07\\n\\x9b`;
  const list = await pytraceDone('list', python);
  expect(list.code).toBe(0);
  expectNoRawControls(list.stdout.split('\n'));
  expect(list.stdout.split('\n')[0]).toMatch(new RegExp(`^${escapeRe(shownPath)} \\(executable\\): \\d+ locations$`));
  const listJson = (await pytraceDone('list', python, '--json')).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(new Set(listJson.map((l) => l.path))).toEqual(new Set([python]));

  const d = await pytraceDone('describe', python);
  expect(d.code).toBe(0);
  expectNoRawControls(d.stdout.split('\n'));
  expect(d.stdout.split('\n').slice(0, 2)).toEqual([`binary: ${shownPath}`, 'version: Python 3.11']);
  expect(JSON.parse((await pytraceDone('describe', python, '--json')).stdout).executable).toBe(python);

  // A marker whose name in the notes is hostile (the only "gc__start" bytes of the file are its note's).
  const patched = path.join(dir, 'python3.11');
  const bytes = fs.readFileSync(PYTHON);
  const at = bytes.indexOf('gc__start\0');
  expect(bytes.indexOf('gc__start\0', at + 1)).toBe(-1);
  Buffer.from('g\x1b[2J\n\u009b\x7f', 'utf8').copy(bytes, at);
  fs.writeFileSync(patched, bytes, { mode: 0o755 });
  const marker = await pytraceDone('list', patched);
  expect(marker.code).toBe(0);
  expectNoRawControls(marker.stdout.split('\n'));
  expect(marker.stdout.split('\n')).toContain('  python:g\\x1b[2J\\n\\x9b\\x7f');
  const markerJson = (await pytraceDone('list', patched, '--json')).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(markerJson.map((l) => l.name)).toContain('g\x1b[2J\n\u009b\x7f');

  // Errors and notes quote paths too.
  const missing = await pytraceDone('describe', python + '\x1b[2J');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe(`pytrace: ${shownPath}\\x1b[2J: no such file. [PYTRACE_BAD_ELF]\n`);
});
