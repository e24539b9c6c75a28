/**
 * The addon lib/native.ts loads: node-gyp-build takes the first addon of
 * build/Release by name, and a checkout builds two there (the library's and
 * the benchmark's), so the library's must come first.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import loadAddon from 'node-gyp-build';

test('a checkout with both addons built resolves to the library one', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-load-'));
  try {
    const release = path.join(root, 'build', 'Release');
    fs.mkdirSync(release, { recursive: true });
    // Created in the order that would win if the directory were not read sorted.
    for (const name of ['pytrace_bench.node', 'pytrace.node']) fs.writeFileSync(path.join(release, name), '');
    expect(path.basename(loadAddon.resolve(root))).toBe('pytrace.node');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('without a local build, the prebuilt addon for linux-x64 glibc is the one', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pytrace-load-'));
  try {
    const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'node.napi.glibc.node'), '');
    expect(loadAddon.resolve(root)).toBe(path.join(dir, 'node.napi.glibc.node'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
