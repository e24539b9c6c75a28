export { attach, Trace } from './api/trace';
export type { AttachOptions, AttachTarget, TraceStats } from './api/trace';
export { probes } from './discovery/probes';
export type { DiscoveryWarning, ProbeLocation } from './discovery/probes';
export { describe, describeBinary } from './discovery/describe';
export type { Description, EventAvailability } from './discovery/describe';
export type { TraceListeners, TraceEventName, LostReport } from './api/trace-events';
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
export type { ForkEvent, ExecEvent, ExitEvent } from './api/processes';
export { countCalls, pythonBinaries, CallCounter } from './api/count';
export type { CallCount, CountOptions } from './api/count';
export { findRuntime } from './sampling/runtime';
export type { PythonRuntime, PythonVersion } from './sampling/runtime';
export type { PythonLayout } from './sampling/layout';
export { Symbolizer, SymbolCache } from './sampling/symbols';
export type { CodeSymbol, FrameSymbol } from './sampling/symbols';
export { StackProfile } from './profile/stacks';
export type { StackFrame, StackThread, ThreadStacks, ValueKind } from './profile/stacks';
export { writeProfile, formatForPath, parseProfileFormat, profileChunks, PROFILE_FORMATS } from './profile/formats';
export type { ProfileFormat, WriteProfileOptions } from './profile/formats';
export { collapsedChunks, collapsedFrame } from './profile/collapsed';
export type { CollapsedOptions } from './profile/collapsed';
export { speedscopeChunks } from './profile/speedscope';
export type { SpeedscopeOptions } from './profile/speedscope';
export { pprofProfile, encodePprof } from './profile/pprof';
export type { PprofOptions } from './profile/pprof';
export { htmlChunks } from './profile/html';
export { profile, Profile } from './api/profile';
export type {
  ProfileOptions,
  ProfileStats,
  SampleEvent,
  SampleFrame,
  ProfileListeners,
  ProfileExit,
  ProfileTarget,
  CommandTarget,
  ProfiledCommand,
} from './api/profile';
export { dump } from './api/dump';
export type { DumpedThread, ThreadStatus } from './api/dump';
export { CallPairing, stackOf } from './stream/calls';
export type { Call, CallPairingStats } from './stream/calls';
export { CallSummary } from './stream/call-summary';
export type { FunctionTimes } from './stream/call-summary';
export { TraceEventWriter } from './export/trace-event-json';
export type { TraceEventWriterOptions } from './export/trace-event-json';
export { writeTimeline } from './export/timeline';
export type { TimelineResult } from './export/timeline';
export { exactProfile, ExactProfiler } from './profile/exact';
export { serve, Agent } from './agent/serve';
export type { ServeOptions } from './agent/serve';
