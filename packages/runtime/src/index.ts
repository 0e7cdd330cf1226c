export { Runtime } from './runtime.ts';
export type { RuntimeOptions } from './runtime.ts';
export type {
  AnyController,
  Controller,
  QController,
  Input,
  QInput,
  Output,
  InputKind,
  QInputKind,
  OutputKind,
  TypeRef,
  ReducedMetadata,
  Requeue,
} from './controller.ts';
export type {
  ControllerContext,
  QContext,
  TransformContext,
  ReadOptions,
  ContextListOptions,
  PhaseOptions,
  ContextOwnerOptions,
} from './controller-context.ts';
export {
  DependencyError,
  AccessError,
  ShutdownTimeoutError,
  RequeueError,
  TerminalError,
  MisuseError,
  OutputClaimError,
  isDependencyError,
  isAccessError,
  isShutdownTimeout,
  isMisuse,
} from './errors.ts';
export { Backoff } from './backoff.ts';
export type { BackoffPolicy } from './backoff.ts';
export type { Clock } from './clock.ts';
export type { ChangeRateLimit } from './rate-limiter.ts';
export { toDot } from './graph.ts';
export type { Graph, GraphEdge, GraphEdgeKind } from './graph.ts';
export { transform } from './transform.ts';
export type { TransformOptions, DesiredOutput } from './transform.ts';
