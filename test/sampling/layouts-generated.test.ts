/**
 * lib/sampling/layouts-generated.ts is what the headers say: regenerated
 * here by scripts/python-layouts.sh from every CPython 3.9-3.12 include
 * directory found (pyenv's, the system's), each version's row must equal the
 * checked-in one. (That each row matches its interpreter is frames.test.ts.)
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../helpers/python';

const SCRIPT = path.resolve(__dirname, '../../scripts/python-layouts.sh');
const CHECKED_IN = path.resolve(__dirname, '../../lib/sampling/layouts-generated.ts');

/** version -> its row, from a generated file. */
function rows(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^ {2}'(3\.\d+)': (\{.*\}),$/gm)) out.set(m[1], m[2]);
  return out;
}

test('every version whose headers are here regenerates to the checked-in row', () => {
  const tmp = tempDir('pytrace-layouts-');
  try {
    const out = path.join(tmp.dir, 'layouts.ts');
    execFileSync(SCRIPT, [], {
      env: { ...process.env, PYTRACE_LAYOUTS_OUT: out },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const regenerated = rows(out);
    const checkedIn = rows(CHECKED_IN);
    expect(regenerated.size).toBeGreaterThan(0);
    expect([...checkedIn.keys()]).toEqual(['3.9', '3.10', '3.11', '3.12']);
    for (const [version, row] of regenerated)
      expect({ version, row }).toEqual({ version, row: checkedIn.get(version) });
  } finally {
    tmp.remove();
  }
});
