/**
 * Marker discovery in the world as it is: a Python that loaded a library
 * whose markers pytrace cannot parse, a Python whose executable was replaced
 * or deleted under it (a package upgrade), and files an unprivileged user
 * cannot read. Counts are exact: the script calls leaf() CALLS times.
 */
import * as fs from 'fs';
import * as path from 'path';
import { attach, describe as describeProcess, probes } from '../../lib/index';
import { buildFixtures } from '../helpers/fixtures';
import { sections, SHDR } from '../helpers/elf-bytes';
import {
  Collector,
  countBy,
  killStarted,
  privatePython,
  Python,
  startPython,
  startTracer,
  tempDir,
  within,
} from '../helpers/python';

afterEach(killStarted);

const CALLS = 1000;
const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--inh-caps=-all'];

/** Attaches to the script, lets it run, and counts its leaf() entries and returns. */
async function leafCalls(py: Python): Promise<Record<string, number>> {
  const trace = await attach(py.pid, { events: ['function-entry', 'function-return'] });
  const c = new Collector(trace);
  py.go();
  expect(await py.result()).toEqual({ calls: CALLS });
  await within(c.closed, 10000, 'close after the script exits');
  expect(c.lost).toEqual([]);
  return countBy(
    c.frames(py.script).filter((f) => f.function === 'leaf'),
    (f) => f.type,
  );
}

describe('a library with markers pytrace cannot parse, loaded into the Python', () => {
  const lib = path.join(buildFixtures(), 'libothermarkers.so');

  test('probes() lists the rest and warns; describe() says what was skipped; attach() traces exactly', async () => {
    const py = await startPython('load_library.py', [lib, String(CALLS)]);
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    let found;
    try {
      found = probes(py.pid);
      expect(emit.mock.calls).toEqual([
        [
          expect.stringMatching(/libothermarkers\.so: marker zfixture:unparseable_operand: .*"4@\[%rsi\]"/),
          { type: 'PytraceWarning', code: 'PYTRACE_BAD_OPERAND' },
        ],
      ]);
    } finally {
      emit.mockRestore();
    }
    expect(found.filter((p) => p.provider === 'zfixture').map((p) => p.name)).toEqual(['plain', 'register_operand']);
    expect(found.filter((p) => p.provider === 'python')).toHaveLength(8);

    const d = describeProcess(py.pid);
    expect(d.version).toBe('3.11');
    expect(d.warnings).toEqual([
      {
        code: 'PYTRACE_BAD_OPERAND',
        path: fs.realpathSync(lib),
        provider: 'zfixture',
        name: 'unparseable_operand',
        message: expect.any(String),
      },
    ]);
    expect(d.events['function-entry'].fires).toBe(true);

    expect(await leafCalls(py)).toEqual({ 'function-entry': CALLS, 'function-return': CALLS });
  });
});

test('a library with corrupt section headers (which the loader does not read): a warning, exact counts', async () => {
  const tmp = tempDir('pytrace-corrupt-');
  try {
    const lib = path.join(tmp.dir, 'libcorrupt.so');
    const bytes = fs.readFileSync(path.join(buildFixtures(), 'libothermarkers.so'));
    const text = sections(bytes).find((s) => s.name === '.text')!;
    bytes.writeUInt32LE(0xffff, text.at + SHDR.sh_link[0]); // a link past the last section
    fs.writeFileSync(lib, bytes);
    const py = await startPython('load_library.py', [lib, String(CALLS)]);
    const d = describeProcess(py.pid);
    expect(d.warnings).toEqual([
      {
        code: 'PYTRACE_BAD_ELF',
        path: lib,
        message: expect.stringMatching(/libcorrupt\.so: corrupt section header \d+: it links to section 65535/),
      },
    ]);
    expect(d.locations).toHaveLength(8);
    expect(await leafCalls(py)).toEqual({ 'function-entry': CALLS, 'function-return': CALLS });
  } finally {
    tmp.remove();
  }
});

describe('an executable replaced or deleted under the running Python', () => {
  /** Starts the script on a private copy of python3.11, then does `change` to that file. */
  async function startThenChange(change: (file: string) => void): Promise<Python> {
    const python = privatePython();
    const py = await startPython('load_library.py', ['', String(CALLS)], { python });
    change(python);
    expect(fs.readFileSync(`/proc/${py.pid}/maps`, 'utf8')).toContain(`${python} (deleted)`);
    return py;
  }

  test('replaced (a new file renamed over it, as a package upgrade does): attached to the mapped file, exact counts', async () => {
    const py = await startThenChange((file) => {
      fs.copyFileSync(file, `${file}.new`);
      fs.renameSync(`${file}.new`, file);
    });
    const locations = probes(py.pid).filter((p) => p.provider === 'python');
    expect(locations).toHaveLength(8);
    for (const l of locations)
      expect(l.openPath).toMatch(new RegExp(`^/proc/${py.pid}/map_files/[0-9a-f]+-[0-9a-f]+$`));
    expect(await leafCalls(py)).toEqual({ 'function-entry': CALLS, 'function-return': CALLS });
  });

  test('without CAP_SYS_ADMIN (which reading a mapping needs): PYTRACE_PERMISSION saying the file was replaced', async () => {
    const py = await startThenChange((file) => fs.unlinkSync(file));
    const tracer = startTracer(
      ['describe', String(py.pid)],
      ['setpriv', '--bounding-set=-sys_admin,-checkpoint_restore'],
    );
    const line = await tracer.line((l) => /^(error|described)\b/.test(l));
    expect(line).toMatch(/^error PYTRACE_PERMISSION \S+python3\.11 was deleted or replaced .* needs CAP_SYS_ADMIN/);
  });

  test('deleted: still traced, exact counts', async () => {
    const py = await startThenChange((file) => fs.unlinkSync(file));
    const d = describeProcess(py.pid);
    expect(d.build).toBe('executable');
    expect(d.version).toBe('3.11');
    expect(await leafCalls(py)).toEqual({ 'function-entry': CALLS, 'function-return': CALLS });
  });
});

describe('files an unprivileged user cannot read', () => {
  async function probesAsNobody(target: string): Promise<string> {
    const tracer = startTracer(['probes', target], AS_NOBODY);
    const line = await tracer.line((l) => /^(error|probes)\b/.test(l));
    await within(tracer.exited, 10000, 'tracer exit');
    return line;
  }

  test('a root-only file is PYTRACE_PERMISSION, a PytraceError', async () => {
    expect(await probesAsNobody('/etc/shadow')).toMatch(/^error PYTRACE_PERMISSION \/etc\/shadow: permission denied/);
  });

  test("a file in a directory it cannot enter is PYTRACE_PERMISSION, not 'no such file'", async () => {
    const dir = fs.mkdtempSync('/tmp/pytrace-private-');
    try {
      fs.chmodSync(dir, 0o700);
      fs.copyFileSync(path.join(buildFixtures(), 'libothermarkers.so'), path.join(dir, 'lib.so'));
      expect(await probesAsNobody(path.join(dir, 'lib.so'))).toMatch(
        /^error PYTRACE_PERMISSION .*lib\.so: permission denied/,
      );
      // And one that does not exist there is no different to it: the kernel refuses the directory first.
      expect(await probesAsNobody(path.join(dir, 'missing.so'))).toMatch(/^error PYTRACE_PERMISSION /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
