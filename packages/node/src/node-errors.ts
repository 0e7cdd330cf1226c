/** A node.yaml the agent cannot run with, beyond the file's own schema (which NodeConfigError covers). */
export class NodeAgentConfigError extends Error {
  readonly code = 'InvalidNodeAgentConfig';
  readonly key: string;
  readonly file: string;
  constructor(file: string, key: string, rule: string) {
    super(`${file}: ${key}: ${rule}`);
    this.name = 'NodeAgentConfigError';
    this.file = file;
    this.key = key;
  }
}

export function isNodeAgentConfigError(e: unknown): e is NodeAgentConfigError {
  return e instanceof Error && (e as { code?: unknown }).code === 'InvalidNodeAgentConfig';
}
