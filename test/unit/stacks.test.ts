import { StackProfile } from '../../lib/profile/stacks';

const f = (name: string, lineno = 1) => ({ function: name, filename: `${name}.py`, lineno });

test('values sum per distinct stack and thread; frames are interned once', () => {
  const p = new StackProfile({ type: 'samples', unit: 'count' });
  const t1 = { pid: 10, tid: 10 };
  const t2 = { pid: 10, tid: 11, name: 'worker' };
  p.add(t1, [f('main'), f('a')], 3);
  p.add(t1, [f('main'), f('a')], 1);
  p.add(t1, [f('main'), f('b')], 2);
  p.add(t2, [f('main'), f('a', 7)], 5);
  expect(p.total()).toBe(11);
  expect(p.frames()).toEqual([f('main'), f('a'), f('b'), f('a', 7)]);
  expect(p.threads()).toEqual([
    {
      thread: t1,
      total: 6,
      stacks: [
        { frames: [f('main'), f('a')], value: 4 },
        { frames: [f('main'), f('b')], value: 2 },
      ],
    },
    { thread: t2, total: 5, stacks: [{ frames: [f('main'), f('a', 7)], value: 5 }] },
  ]);
  expect(p.threadsById()[0].stacks).toEqual([
    { ids: [0, 1], value: 4 },
    { ids: [0, 2], value: 2 },
  ]);
});

test('a thread named later keeps the name; an empty stack is a stack of its own', () => {
  const p = new StackProfile({ type: 'cpu', unit: 'nanoseconds' }, 10_101_010);
  p.add({ pid: 1, tid: 2 }, [], 1);
  p.add({ pid: 1, tid: 2, name: 'MainThread' }, [f('x')], 1);
  expect(p.threads()[0].thread).toEqual({ pid: 1, tid: 2, name: 'MainThread' });
  expect(p.threads()[0].stacks.map((s) => s.frames.length)).toEqual([0, 1]);
  expect(p.periodNs).toBe(10_101_010);
});
