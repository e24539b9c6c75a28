/**
 * A tracer in its own node process, for what a test cannot do to itself: be
 * killed, exit because nothing holds it, run as another user or in another
 * mount namespace. Loads lib/*.ts directly (transpiled on require), so it
 * runs the same code as the tests without a build of dist/.
 *
 *   node tracer.js MODE PID [EVENTS]     EVENTS: comma-separated event names
 *
 * MODE  attach: attach, print "attached", detach, print "detached", exit.
 *       hold:   attach, print "attached", stay until killed.
 *       unref:  attach, unref(), print "attached": nothing else keeps node running.
 *       reref:  attach, unref() then ref(), print "attached": the trace keeps node running.
 *       unref-detach: attach, unref(), print "attached", detach, print "detached": detach()
 *               resolves though nothing else keeps node running.
 *       throws: attach with a function-entry listener that throws "listener threw", print
 *               "attached": the error must end node as an uncaught exception.
 *       describe: print "described VERSION" (describe(PID), no attach).
 *       probes: print "probes N" (probes(PID or PATH)), N locations.
 * A failure prints "error CODE MESSAGE" and exits with status 3. Run it with
 * --force-node-api-uncaught-exceptions-policy=true (startTracer does): an
 * exception thrown in a callback from the addon then fails the process.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

require.extensions['.ts'] = (module, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: file,
  });
  module._compile(out.outputText, file);
};

async function main() {
  const [mode, pidText, eventsText] = process.argv.slice(2);
  const { attach, describe, probes, PytraceError } = require(path.resolve(__dirname, '../../lib/index.ts'));
  errorClass = PytraceError;
  if (mode === 'probes') {
    console.log(`probes ${probes(pidText).length}`);
    return;
  }
  if (mode === 'describe') {
    console.log(`described ${describe(Number(pidText)).version}`);
    return;
  }
  const options = eventsText ? { events: eventsText.split(',') } : {};
  const trace = await attach(Number(pidText), options);
  if (mode === 'unref' || mode === 'unref-detach') trace.unref();
  if (mode === 'throws')
    trace.on('function-entry', () => {
      throw new Error('listener threw');
    });
  if (mode === 'reref') trace.unref().ref();
  console.log('attached');
  console.log(`linkKind ${trace.stats().linkKind}`);
  if (mode === 'attach' || mode === 'unref-detach') {
    await trace.detach();
    console.log('detached');
  }
}

let errorClass;

main().catch((e) => {
  // A failure that is not a PytraceError says so: "error(Error) CODE ...".
  const kind = errorClass && e instanceof errorClass ? '' : `(${e.name})`;
  console.log(`error${kind} ${e.code ?? 'none'} ${String(e.message).replace(/\n/g, ' ')}`);
  // Not process.exit(): callbacks still queued after a failure must run, and not throw.
  process.exitCode = 3;
});
