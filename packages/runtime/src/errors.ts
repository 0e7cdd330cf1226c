/** A registration or `updateInputs` call broke a dependency rule (specs/controllers.md §1). Nothing changed. */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  readonly code = 'DependencyRule' as const;
  constructor(
    readonly controller: string,
    message: string,
  ) {
    super(message);
  }
}

/** A controller touched a resource its declared inputs/outputs do not allow (§2). A bug: it crashes the controller. */
export class AccessError extends Error {
  override readonly name = 'AccessError';
  readonly code = 'AccessDenied' as const;
  constructor(
    readonly controller: string,
    readonly operation: string,
    readonly resource: string,
    readonly rule: string,
  ) {
    super(`controller "${controller}" may not ${operation} ${resource}: ${rule}`);
  }
}

/** Controllers still running when the shutdown timeout expired. */
export class ShutdownTimeoutError extends Error {
  override readonly name = 'ShutdownTimeoutError';
  readonly code = 'ShutdownTimeout' as const;
  constructor(
    readonly controllers: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(
      `runtime shutdown timed out after ${timeoutMs} ms; still running: ${controllers.join(', ')} ` +
        '(a controller must return from run() once ctx.signal aborts)',
    );
  }
}

/** Rejected by a QController reconcile: counted as an error, retried after `requeueAfterMs`. */
export class RequeueError extends Error {
  override readonly name = 'RequeueError';
  readonly code = 'Requeue' as const;
  constructor(
    cause: unknown,
    readonly requeueAfterMs: number,
  ) {
    super(`requeue after ${requeueAfterMs} ms: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Rejected by a QController reconcile: counted as an error, not retried until the key's next event. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly code = 'Terminal' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The runtime or a context was used out of order: `run` twice, `register` after shutdown started,
 * two `events()` loops at once, `cleanupOutputs` without a round, a transform run outside a Runtime.
 */
export class MisuseError extends Error {
  override readonly name = 'MisuseError';
  readonly code = 'Misuse' as const;
}

/** A transform pipeline emitted an output id that another live input already produces (§7.6). */
export class OutputClaimError extends Error {
  override readonly name = 'OutputClaimError';
  readonly code = 'OutputClaimed' as const;
  constructor(
    readonly controller: string,
    readonly outputId: string,
    readonly claimedBy: string,
    readonly input: string,
  ) {
    super(
      `transform "${controller}": input ${input} wants output ${outputId}, which input ${claimedBy} already produces; ` +
        'two inputs cannot claim one output id: derive the output id from the input id',
    );
  }
}

/** Guards that never throw. */
export const isDependencyError = (e: unknown): e is DependencyError => e instanceof DependencyError;
export const isAccessError = (e: unknown): e is AccessError => e instanceof AccessError;
export const isShutdownTimeout = (e: unknown): e is ShutdownTimeoutError => e instanceof ShutdownTimeoutError;
export const isMisuse = (e: unknown): e is MisuseError => e instanceof MisuseError;

/** Non-Error throwables become Errors so logs and metrics see one shape. */
export function toError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(`non-Error thrown: ${typeof e === 'string' ? e : safeJson(e)}`, { cause: e });
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
