/** `node.yaml` breaks a rule. `key` is the dotted path (`cluster.secret`); `file` the path when known. */
export class NodeConfigError extends Error {
  readonly code = 'InvalidNodeConfig';
  readonly key: string;
  readonly file: string | undefined;
  readonly rule: string;
  constructor(key: string, rule: string, file?: string, options?: { cause?: unknown }) {
    const where = key === '' ? rule : `${key}: ${rule}`;
    super(file === undefined ? where : `${file}: ${where}`, options);
    this.name = 'NodeConfigError';
    this.key = key;
    this.file = file;
    this.rule = rule;
  }
}

export function isNodeConfigError(e: unknown): e is NodeConfigError {
  return e instanceof Error && (e as { code?: unknown }).code === 'InvalidNodeConfig';
}
