/** The collapsed-stack writer: stacks merged over threads, names kept on one line. */
import { collapsed } from '../../lib/profile/collapsed';
import { StackProfile } from '../../lib/profile/stacks';

test('one line per stack over all threads, outermost first; ";" and control characters escaped', () => {
  const p = new StackProfile({ type: 'samples', unit: 'count' });
  const main = { function: '<module>', filename: 'a.py', lineno: 3 };
  const f = { function: 'f', filename: 'a.py', lineno: 7 };
  const hostile = { function: 'g;x\n\x1b[31m', filename: 'b.py', lineno: 1 };
  p.add({ pid: 1, tid: 1 }, [main, f], 2);
  p.add({ pid: 1, tid: 2 }, [main, f], 3);
  p.add({ pid: 1, tid: 2 }, [main, hostile], 1);
  expect(collapsed(p)).toBe('<module> (a.py:3);f (a.py:7) 5\n<module> (a.py:3);g\\x3bx\\n\\x1b[31m (b.py:1) 1\n');
});
