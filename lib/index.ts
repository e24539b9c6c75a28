export { attach, Trace } from './api/trace';
export type { AttachOptions, AttachTarget, TraceStats } from './api/trace';
export { probes } from './discovery/probes';
export type { DiscoveryWarning, ProbeLocation } from './discovery/probes';
export { describe, describeBinary } from './discovery/describe';
export type { Description, EventAvailability } from './discovery/describe';
export type { TraceListeners, TraceEventName, LostReport, ExitReport } from './api/trace-events';
export { PytraceError, WHICH_BUILDS_HAVE_MARKERS } from './errors';
export type { ErrorCode } from './errors';
export { EVENT_NAMES } from './markers';
export type {
  EventName,
  TraceEvent,
  FrameEvent,
  GcStartEvent,
  GcDoneEvent,
  ImportStartEvent,
  ImportDoneEvent,
  AuditEvent,
  AuditArg,
} from './markers';
export { parseOperand, parseOperands } from './discovery/operands';
export type { ArgOperand, Operand } from './discovery/operands';
export { countCalls, pythonBinaries, CallCounter } from './api/count';
export type { CallCount, CountOptions } from './api/count';
export { findRuntime } from './sampling/runtime';
export type { PythonRuntime, PythonVersion } from './sampling/runtime';
export type { PythonLayout } from './sampling/layout';
export { Symbolizer, SymbolCache } from './sampling/symbols';
export type { CodeSymbol, FrameSymbol } from './sampling/symbols';
export { profile, Profile } from './api/profile';
export type { ProfileOptions, ProfileStats, SampleEvent, SampleFrame, ProfileListeners, ProfileExit } from './api/profile';
export { dump } from './api/dump';
export type { DumpedThread, ThreadStatus } from './api/dump';
export { StackProfile } from './profile/stacks';
