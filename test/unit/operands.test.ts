/**
 * The note operand parser: every form sys/sdt.h writes on x86-64 and aarch64,
 * sizes and signedness, and what it refuses (PYTRACE_BAD_OPERAND).
 */
import { PytraceError } from '../../lib/errors';
import {
  ArgOperand,
  Operand,
  parseOperand,
  parseOperands,
  registerOffset,
  splitOperands,
} from '../../lib/discovery/operands';

const op = (text: string, arch: 'x86_64' | 'aarch64' = 'x86_64'): Operand => parseOperand(text, arch).operand;

function refused(text: string, arch: 'x86_64' | 'aarch64' = 'x86_64'): PytraceError {
  try {
    parseOperand(text, arch);
  } catch (e) {
    expect(e).toBeInstanceOf(PytraceError);
    expect((e as PytraceError).code).toBe('PYTRACE_BAD_OPERAND');
    expect((e as PytraceError).message).toContain(`"${text}"`);
    return e as PytraceError;
  }
  throw new Error(`"${text}" was accepted`);
}

describe('x86-64 operand forms', () => {
  test.each<[string, Operand]>([
    ['8@%rdi', { form: 'register', register: 'rdi' }],
    ['-4@%eax', { form: 'register', register: 'eax' }],
    ['8@%r12', { form: 'register', register: 'r12' }],
    ['-4@%r9d', { form: 'register', register: 'r9d' }],
    ['-2@%dx', { form: 'register', register: 'dx' }],
    ['-1@%sil', { form: 'register', register: 'sil' }],
    ['1@%r10b', { form: 'register', register: 'r10b' }],
    ['8@8(%rsi)', { form: 'memory', base: 'rsi', offset: 8 }],
    ['-4@-228(%rbp)', { form: 'memory', base: 'rbp', offset: -228 }],
    ['8@(%rsp)', { form: 'memory', base: 'rsp', offset: 0 }],
    ['8@0(%rdx)', { form: 'memory', base: 'rdx', offset: 0 }],
    ['8@0x18(%rax)', { form: 'memory', base: 'rax', offset: 24 }],
    ['-8@-0x10(%r13)', { form: 'memory', base: 'r13', offset: -16 }],
    ['1@-96(%rbp,%rax,8)', { form: 'indexed', base: 'rbp', index: 'rax', scale: 8, offset: -96 }],
    ['-4@(%r14,%r15,4)', { form: 'indexed', base: 'r14', index: 'r15', scale: 4, offset: 0 }],
    ['8@(%rdi,%rsi)', { form: 'indexed', base: 'rdi', index: 'rsi', scale: 1, offset: 0 }],
    ['8@16(%rbp,%rcx,2)', { form: 'indexed', base: 'rbp', index: 'rcx', scale: 2, offset: 16 }],
    ['-4@sym(%rip)', { form: 'rip-relative', symbol: 'sym', offset: 0 }],
    ['8@sym+8(%rip)', { form: 'rip-relative', symbol: 'sym', offset: 8 }],
    ['8@sym-8(%rip)', { form: 'rip-relative', symbol: 'sym', offset: -8 }],
    // gcc writes a field of a global struct with the offset first.
    ['-4@40+CheckpointStats(%rip)', { form: 'rip-relative', symbol: 'CheckpointStats', offset: 40 }],
    ['8@8+fx_frame(%rip)', { form: 'rip-relative', symbol: 'fx_frame', offset: 8 }],
    ['8@_PyRuntime+0x30(%rip)', { form: 'rip-relative', symbol: '_PyRuntime', offset: 48 }],
    ['-4@counter.0(%rip)', { form: 'rip-relative', symbol: 'counter.0', offset: 0 }],
    ['4@$5', { form: 'constant', value: 5 }],
    ['-4@$-7', { form: 'constant', value: -7 }],
    ['8@$0x10', { form: 'constant', value: 16 }],
    ['-8@$-5000000000', { form: 'constant', value: -5000000000 }],
  ])('%s', (text, operand) => {
    expect(op(text)).toEqual(operand);
  });

  test('sizes, signedness and the original text', () => {
    const cases: [string, number, boolean][] = [
      ['1@%al', 1, false],
      ['-1@%al', 1, true],
      ['2@%ax', 2, false],
      ['-2@%ax', 2, true],
      ['4@%eax', 4, false],
      ['-4@%eax', 4, true],
      ['8@%rax', 8, false],
      ['-8@%rax', 8, true],
    ];
    for (const [text, size, signed] of cases)
      expect(parseOperand(text)).toEqual({
        size,
        signed,
        float: false,
        operand: { form: 'register', register: text.replace(/^.*%/, '') },
        text,
      });
  });

  test('no size prefix (old notes): 8 unsigned bytes', () => {
    expect(parseOperand('%rdi')).toEqual({
      size: 8,
      signed: false,
      float: false,
      operand: { form: 'register', register: 'rdi' },
      text: '%rdi',
    });
  });

  test('a float in memory parses, marked float; an SSE register does not (pt_regs has none)', () => {
    expect(parseOperand('8f@-24(%rbp)')).toEqual({
      size: 8,
      signed: false,
      float: true,
      operand: { form: 'memory', base: 'rbp', offset: -24 },
      text: '8f@-24(%rbp)',
    });
    expect(parseOperand('-4f@8(%rsp)')).toMatchObject({ size: 4, signed: true, float: true });
    expect(refused('8f@%xmm0').message).toContain('unknown x86_64 register "%xmm0"');
    refused('4f@%xmm1');
  });

  test('garbage and unsupported forms are refused with PYTRACE_BAD_OPERAND', () => {
    for (const text of [
      '',
      'garbage',
      '8@',
      '3@%rax',
      '16@%rax',
      'x@%rax',
      '8@%foo',
      '8@rdi', // x86 registers take a %
      '-1@%ah', // a high byte is not the low bytes of a pt_regs field
      '8@8(%rsi',
      '8@8(%foo)',
      '8@(%rax,%rbx,3)',
      '8@(%rax,%rbx,8,1)',
      '8@(,%rax,8)', // no base register
      '8@0x10(%rip)', // %rip-relative with no symbol: the instruction's length is unknown here
      '8@sym+(%rip)',
      '8@$',
      '8@$abc',
      '8@%fs:0x28',
      '8@x0', // an aarch64 operand on x86-64
    ])
      refused(text);
  });
});

describe('aarch64 operand forms', () => {
  test.each<[string, Operand]>([
    ['8@x20', { form: 'register', register: 'x20' }],
    ['-4@x0', { form: 'register', register: 'x0' }],
    ['-4@w1', { form: 'register', register: 'w1' }],
    ['8@sp', { form: 'register', register: 'sp' }],
    ['-4@[sp, 152]', { form: 'memory', base: 'sp', offset: 152 }],
    ['-8@[x29, 184]', { form: 'memory', base: 'x29', offset: 184 }],
    ['8@[x29, -8]', { form: 'memory', base: 'x29', offset: -8 }],
    ['8@[x1, #16]', { form: 'memory', base: 'x1', offset: 16 }],
    ['8@[x1]', { form: 'memory', base: 'x1', offset: 0 }],
    ['8@[x1, x2]', { form: 'indexed', base: 'x1', index: 'x2', scale: 1, offset: 0 }],
    ['4@5', { form: 'constant', value: 5 }],
    ['-4@-7', { form: 'constant', value: -7 }],
    ['8@0x20', { form: 'constant', value: 32 }],
  ])('%s', (text, operand) => {
    expect(op(text, 'aarch64')).toEqual(operand);
  });

  test('register offsets in struct user_pt_regs', () => {
    expect(registerOffset('aarch64', 'x0')).toBe(0);
    expect(registerOffset('aarch64', 'w20')).toBe(160);
    expect(registerOffset('aarch64', 'x30')).toBe(240);
    expect(registerOffset('aarch64', 'sp')).toBe(248);
    expect(registerOffset('x86_64', 'r15')).toBe(0);
    expect(registerOffset('x86_64', 'edi')).toBe(112);
    expect(registerOffset('x86_64', 'rsp')).toBe(152);
    expect(registerOffset('x86_64', 'xmm0')).toBeUndefined();
  });

  test('garbage is refused', () => {
    for (const text of ['8@x31', '8@[x1', '8@[x1, x2, x3]', '8@%rdi', '8@[q1]', '8@v0']) refused(text, 'aarch64');
  });
});

describe('argument strings', () => {
  test('split on blanks outside brackets', () => {
    expect(splitOperands('8@%rdi 8@8(%rsi) -4@$42')).toEqual(['8@%rdi', '8@8(%rsi)', '-4@$42']);
    expect(splitOperands('  -4@[sp, 152]   8@x20 -8@[x29, 184] ')).toEqual(['-4@[sp, 152]', '8@x20', '-8@[x29, 184]']);
    expect(splitOperands('8@-96(%rbp,%rax,8)\t8@sym(%rip)')).toEqual(['8@-96(%rbp,%rax,8)', '8@sym(%rip)']);
    expect(splitOperands('')).toEqual([]);
  });

  test('parseOperands parses each, in order, for the given architecture', () => {
    const x86: ArgOperand[] = parseOperands('8@-96(%rbp,%rax,8) 8@fx_func_ptr(%rip) -4@-12(%rbp)');
    expect(x86.map((a) => [a.text, a.size, a.signed, a.operand.form])).toEqual([
      ['8@-96(%rbp,%rax,8)', 8, false, 'indexed'],
      ['8@fx_func_ptr(%rip)', 8, false, 'rip-relative'],
      ['-4@-12(%rbp)', 4, true, 'memory'],
    ]);
    const arm = parseOperands('8@x20 8@[x19, 8] -4@[sp, 152]', 'aarch64');
    expect(arm.map((a) => a.operand)).toEqual([
      { form: 'register', register: 'x20' },
      { form: 'memory', base: 'x19', offset: 8 },
      { form: 'memory', base: 'sp', offset: 152 },
    ]);
    expect(parseOperands('')).toEqual([]);
  });

  test('one bad operand refuses the whole string', () => {
    expect(() => parseOperands('8@%rdi 8@%xmm0 -4@$1')).toThrow(
      expect.objectContaining({ code: 'PYTRACE_BAD_OPERAND' }),
    );
  });
});
