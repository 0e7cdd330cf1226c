export type NodeIdentityErrorReason =
  | 'unreadable'
  | 'dangling-symlink'
  | 'empty'
  | 'invalid-yaml'
  | 'missing-node-id'
  | 'invalid-node-id'
  | 'write-failed';

/**
 * The node identity file exists but cannot be used (or could not be written). Never recovered from
 * by generating a new ID: a silent new identity makes one machine appear twice in its cluster.
 */
export class NodeIdentityError extends Error {
  readonly code = 'NodeIdentityInvalid';
  readonly path: string;
  readonly reason: NodeIdentityErrorReason;
  constructor(path: string, reason: NodeIdentityErrorReason, detail: string, options?: { cause?: unknown }) {
    super(`node identity file ${path}: ${detail}; fix or remove it (removing it gives this node a new identity)`, options);
    this.name = 'NodeIdentityError';
    this.path = path;
    this.reason = reason;
  }
}

export function isNodeIdentityError(e: unknown): e is NodeIdentityError {
  return e instanceof Error && (e as { code?: unknown }).code === 'NodeIdentityInvalid' && 'path' in e;
}
