export { attach, Trace, AttachOptions, AttachTarget, TraceStats } from './trace';
export { probes, ProbeLocation } from './probes';
export { describe, describeBinary, Description, EventAvailability } from './describe';
export { PytraceError, ErrorCode } from './errors';
export { EVENT_NAMES, EventName, TraceEvent, FrameEvent, GcStartEvent, GcDoneEvent, ImportStartEvent, ImportDoneEvent, AuditEvent } from './markers';
export { parseOperand, parseOperands, ArgOperand, Operand } from './operands';
export { countCalls, pythonBinaries, CallCounter, CallCount, CountOptions } from './count';
