import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ApiConfigError } from './api-errors.ts';

export type Role = 'reader' | 'admin';

const hash = (token: string) => createHash('sha256').update(token).digest('base64');

/** Bearer tokens by role. Looked up by their SHA-256, so a lookup takes no time that depends on a near match. */
export class TokenSet {
  readonly #roles = new Map<string, Role>();

  constructor(entries: readonly { role: Role; token: string }[]) {
    for (const { role, token } of entries) this.#roles.set(hash(token), role);
  }

  get size(): number {
    return this.#roles.size;
  }

  roleOf(token: string): Role | undefined {
    return this.#roles.get(hash(token));
  }
}

/** Tokens shorter than this are refused: they could be guessed. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Reads a token file (spec §5): one `role token` per line (`reader` or `admin`), `#` comments and
 * blank lines ignored. The file must not be readable by group or others (mode 0600 or stricter).
 */
export function loadTokenFile(path: string): TokenSet {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (e) {
    throw new ApiConfigError(`token file ${path} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  if ((mode & 0o077) !== 0) {
    throw new ApiConfigError(
      `token file ${path} has mode ${mode.toString(8).padStart(4, '0')}: it must be 0600 or stricter (run chmod 600 ${path})`,
    );
  }
  const entries: { role: Role; token: string }[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const [role, token, ...rest] = line.split(/\s+/);
      const where = `token file ${path} line ${i + 1}`;
      if (role !== 'reader' && role !== 'admin') throw new ApiConfigError(`${where}: role must be reader or admin, got ${JSON.stringify(role)}`);
      if (token === undefined || rest.length > 0) throw new ApiConfigError(`${where}: expected "<role> <token>"`);
      if (token.length < MIN_TOKEN_LENGTH) throw new ApiConfigError(`${where}: token is shorter than ${MIN_TOKEN_LENGTH} characters`);
      entries.push({ role, token });
    });
  if (entries.length === 0) throw new ApiConfigError(`token file ${path} holds no tokens`);
  return new TokenSet(entries);
}
