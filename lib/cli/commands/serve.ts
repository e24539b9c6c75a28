/** pytrace serve: the host agent, scraped by Prometheus, profiled by pprof readers. */
import { serve, ServeOptions } from '../../agent/serve';
import { Command, parse, parsePid, positiveNumber, UsageError } from '../args';
import { note, printHelp } from '../output';

const help = `Usage: pytrace serve [--listen HOST:PORT] [--hz N] [--pid PID]... [--top N] [--no-calls]

A long-running agent: watches every Python with markers on this machine
(processes started later and those in containers included, through one set
of BPF programs per binary), or only the given processes, and serves over
HTTP:

  /metrics                     Prometheus metrics (text format): calls per
                               function, counted in the kernel (where the
                               build has no call markers, 3.12-3.14: on-CPU
                               samples per function at --hz); gc
                               collections, their durations and objects
                               collected, per generation; import durations
                               and failures; audit events by name; the
                               agent's own health (processes, events, lost,
                               attach failures, memory, CPU)
  /profile?seconds=N[&pid=P]   a CPU profile of the next N seconds (default
                               30), sampled from the stacks, as gzipped pprof
                               (go tool pprof http://HOST:PORT/profile)

Every series of a process carries its pid and binary; a process that exits
has its series removed at the next read. A process or binary that cannot
be attached is logged on stderr and counted
(pytrace_agent_attach_failures_total), and the agent goes on.

Options:
  --listen HOST:PORT   where to listen (default 127.0.0.1:9464; :PORT for
                       every address, port 0 for a free one)
  --hz N               samples a second of CPU time, for /profile and the
                       builds without call markers (default 99)
  --pid PID            only this process (repeat, or PID,PID,...)
  --top N              per process, the functions (and audit event names)
                       with a series of their own (default 50): the rest are
                       summed under function="(other)"
  --no-calls           no calls counted in the kernel, which costs a uprobe
                       trap (about 1 us) on every Python call: on-CPU
                       samples per function in every process instead
  -h, --help           this help

Runs until SIGINT or SIGTERM. Exit status: 0 when it ran, 1 on a pytrace
error, 2 on bad usage.`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'a host agent: Prometheus metrics and pprof profiles over HTTP',
  help,
  async run(argv) {
    const {
      values,
      positionals,
      help: wantsHelp,
    } = parse('serve', argv, {
      listen: { type: 'string' },
      hz: { type: 'string' },
      pid: { type: 'string', multiple: true },
      top: { type: 'string' },
      'no-calls': { type: 'boolean' },
    });
    if (wantsHelp) return printHelp(help);
    if (positionals.length)
      throw new UsageError(`unexpected argument "${positionals[0]}" (processes are given with --pid)`, 'serve');
    const options: ServeOptions = {
      listen: values.listen as string | undefined,
      hz: positiveNumber('serve', 'hz', values.hz as string | undefined, 99, true),
      top: positiveNumber('serve', 'top', values.top as string | undefined, 50, true),
      callCounts: !values['no-calls'],
    };
    const pids = values.pid as string[] | undefined;
    if (pids) options.pids = pids.flatMap((v) => v.split(',')).map((p) => parsePid('serve', p.trim()));
    const agent = await serve(options);
    note(`listening on ${agent.url} (/metrics, /profile); Ctrl-C to stop`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await agent.close();
    return 0;
  },
};
