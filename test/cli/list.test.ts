/** pytrace list and describe, checked against readelf -n and a live process. */
import { execFileSync } from 'child_process';
import { killAll, PYTHON, pytraceDone, target } from './helpers';

afterEach(killAll);

interface Note {
  provider: string;
  name: string;
  location: string;
  base: string;
  semaphore: string;
  arguments: string;
}

/** readelf -n's stapsdt notes, in order. */
function readelfNotes(file: string): Note[] {
  const text = execFileSync('readelf', ['-n', '--wide', file], { encoding: 'utf8' });
  const notes: Note[] = [];
  const re =
    /Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+), Base: (0x[0-9a-f]+), Semaphore: (0x[0-9a-f]+)\s+Arguments: ?([^\n]*)/g;
  for (const m of text.matchAll(re))
    notes.push({ provider: m[1], name: m[2], location: m[3], base: m[4], semaphore: m[5], arguments: m[6].trim() });
  return notes;
}

const hex16 = (v: number | string) => '0x' + BigInt(v).toString(16).padStart(16, '0');

test('list PATH: as many locations as readelf -n, with the same addresses and arguments', async () => {
  const notes = readelfNotes(PYTHON);
  expect(notes.length).toBeGreaterThanOrEqual(8);

  const json = await pytraceDone('list', PYTHON, '--json');
  expect(json.code).toBe(0);
  const locations = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(
    locations.map((l) => ({
      provider: l.provider,
      name: l.name,
      location: hex16(l.address),
      base: hex16(l.base),
      semaphore: hex16(l.semaphore),
      arguments: l.arguments,
    })),
  ).toEqual(notes);

  const text = await pytraceDone('list', PYTHON);
  expect(text.code).toBe(0);
  expect(text.stdout.split('\n')[0]).toBe(`${PYTHON} (executable): ${notes.length} locations`);
  expect(text.stdout.match(/^ {2}python:\S+$/gm)).toHaveLength(notes.length);
  // readelf's own words for each location, then the parsed operands.
  for (const n of notes)
    expect(text.stdout).toContain(
      `  ${n.provider}:${n.name}\n    Location: ${n.location}, Base: ${n.base}, Semaphore: ${n.semaphore}\n`,
    );
  expect(text.stdout).toMatch(/^ {6}arg3: -4@\S+ +4 bytes, signed, /m);
});

test("list PID: the semaphores' addresses in the process too", async () => {
  const py = await target('call_stack.py');
  const { code, stdout } = await pytraceDone('list', String(py.pid), '--json');
  expect(code).toBe(0);
  const locations = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(locations).toHaveLength(readelfNotes(PYTHON).length);
  for (const l of locations) {
    expect(l.path).toBe(PYTHON);
    expect(typeof l.semaphoreAddress).toBe('number');
  }
  py.endInput();
});

test('a binary without markers: not a Python, exit status 1', async () => {
  const { code, stdout, stderr } = await pytraceDone('list', '/bin/true');
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr).toMatch(/^pytrace: \/bin\/true is not a Python.*\[PYTRACE_NOT_PYTHON\]\n$/);
});

test('describe PID: version, build, and what fires', async () => {
  const py = await target('call_stack.py');
  const { code, stdout } = await pytraceDone('describe', String(py.pid));
  expect(code).toBe(0);
  const lines = stdout.split('\n');
  expect(lines.slice(0, 4)).toEqual([
    `process ${py.pid}: ${PYTHON}`,
    'version: Python 3.11',
    `build: markers in the executable ${PYTHON} (${readelfNotes(PYTHON).length} locations)`,
    'events:',
  ]);
  expect(lines[4]).toMatch(
    /^ {2}function-entry +function__entry +fires +CPython 3\.11 fires function__entry only while the line semaphore is raised/,
  );
  expect(lines[5]).toMatch(/^ {2}function-return +function__return +fires$/);

  const json = JSON.parse((await pytraceDone('describe', String(py.pid), '--json')).stdout);
  expect(json).toMatchObject({
    type: 'description',
    pid: py.pid,
    version: '3.11',
    build: 'executable',
    markerObject: PYTHON,
  });
  expect(json.events['gc-start']).toEqual({ available: true, fires: true, default: true });
  expect(json.events.line).toEqual({ available: true, fires: true, default: false });
  py.endInput();
});
