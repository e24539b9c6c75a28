/**
 * readString() on live strings of every representation in every build here:
 * each comes out whole, or its first characters flagged truncated, never a
 * cut character; control characters and lone surrogates come out as they are
 * (escaping them for a terminal is the printer's job).
 */
import { TargetMemory } from '../../lib/sampling/memory';
import { findRuntime } from '../../lib/sampling/runtime';
import { readString } from '../../lib/sampling/strings';
import { killStarted } from '../helpers/python';
import { cleanups, interpreterRows } from './interpreters';

afterEach(killStarted);
afterAll(() => cleanups.forEach((remove) => remove()));

const LIMIT = 4096;

describe.each(interpreterRows)('%s', (_, interpreter) => {
  (interpreter.start ? test : test.skip)('every kind of str, whole or flagged truncated', async () => {
    const { pid, child } = await interpreter.start!('strings.py');
    child.send('go\n');
    const line = await child.line((l) => l.startsWith('result '));
    const values = JSON.parse(line.slice('result '.length)) as Record<string, [string, string]>;
    const runtime = findRuntime(pid);
    const memory = new TargetMemory(pid);
    try {
      for (const [name, [id, text]] of Object.entries(values)) {
        const points = Array.from(text);
        const got = readString(memory, runtime.layout, runtime.unicodeType, BigInt(id), LIMIT);
        expect({ name, ...got }).toEqual({
          name,
          text: points.slice(0, LIMIT).join(''),
          length: points.length,
          truncated: points.length > LIMIT,
        });
      }
    } finally {
      memory.close();
    }
  });
});
