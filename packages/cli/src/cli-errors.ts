import { isUnauthenticated, isUnauthorized } from '@cosi-ts/api';
import { isAmbiguousResourceType, isResourceTypeNotFound } from '@cosi-ts/resource';
import { isNotFound } from '@cosi-ts/state';

/** A failure cosictl explains itself (exit code 1); `message` is what the user reads. */
export class CliError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}

function grpcCode(e: unknown): number | undefined {
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** What went wrong, in words that say what to do next. */
export function explain(e: unknown, endpoint: string): string {
  if (e instanceof CliError) return e.message;
  const code = grpcCode(e);
  // 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED: nothing answered at the address.
  if (code === 14 || code === 4) {
    return `cannot reach a cosi-ts node at ${endpoint}: start one with \`cosi-node --config node.yaml\` (machine.api.listen sets its address) or pass --endpoint host:port`;
  }
  if (isUnauthenticated(e)) return `the node at ${endpoint} refused the credentials: pass --token or --token-file with a token from its token file (${(e as Error).message})`;
  if (isUnauthorized(e)) return `not allowed: ${(e as Error).message}; sensitive types and writes need an admin token (--token / --token-file)`;
  if (isNotFound(e)) return (e as Error).message;
  if (isResourceTypeNotFound(e) || isAmbiguousResourceType(e)) return (e as Error).message;
  return e instanceof Error ? e.message : String(e);
}
