import { createHash } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { ResourceDefinitionType, definitionId } from '@cosi-ts/resource';
import type { ResourceDefinitionSpec } from '@cosi-ts/resource';
import { isNotFound } from '@cosi-ts/state';
import type { State } from '@cosi-ts/state';
import { UnauthenticatedError, UnauthorizedError } from './api-errors.ts';
import type { StateMethod } from './status-mapping.ts';
import type { Role, TokenSet } from './tokens.ts';

export interface Caller {
  readonly role: Role;
  /** What the per-caller watch limit counts by: the token's hash, or the peer host without tokens. */
  readonly key: string;
}

const readerMethods: ReadonlySet<StateMethod> = new Set(['Get', 'List', 'Watch']);

/** Spec §5: bearer tokens with roles, and sensitive types refused to readers on every RPC. */
export class CallerAuth {
  readonly #tokens: TokenSet | undefined;
  readonly #state: State;
  readonly #sensitive: ReadonlySet<string>;

  constructor(state: State, tokens: TokenSet | undefined, sensitiveTypes: readonly string[]) {
    this.#state = state;
    this.#tokens = tokens;
    this.#sensitive = new Set(sensitiveTypes);
  }

  /** Who is calling; UnauthenticatedError without a known token. Everyone is admin when no tokens are configured. */
  caller(metadata: Metadata, peer: string): Caller {
    if (this.#tokens === undefined) return { role: 'admin', key: peer.replace(/:\d+$/, '') };
    const header = metadata.get('authorization')[0];
    if (typeof header !== 'string' || header === '') throw new UnauthenticatedError('missing credentials: send "authorization: Bearer <token>"');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const role = match?.[1] === undefined ? undefined : this.#tokens.roleOf(match[1]);
    if (role === undefined) throw new UnauthenticatedError('unknown bearer token');
    return { role, key: `token:${createHash('sha256').update(match?.[1] ?? '').digest('hex').slice(0, 16)}` };
  }

  /**
   * Throws (or rejects with) UnauthorizedError when `caller` may not call `method` on `type`.
   * Returns undefined when the answer is known at once (admins, refused methods), so an admin's call
   * starts in the same turn it arrived in (see ArrivalOrder).
   */
  authorize(caller: Caller, method: StateMethod, type: string): Promise<void> | undefined {
    if (caller.role === 'admin') return undefined;
    if (!readerMethods.has(method)) throw new UnauthorizedError(`not authorized: role reader may not call ${method}`);
    return this.isSensitive(type).then((sensitive) => {
      if (sensitive) throw new UnauthorizedError(`not authorized: type ${type} is sensitive; it needs the admin role`);
    });
  }

  /** A type is sensitive when configured so or when its registered definition says SENSITIVE. Lookup failures count as sensitive. */
  async isSensitive(type: string): Promise<boolean> {
    if (this.#sensitive.has(type)) return true;
    try {
      const def = await this.#state.get<ResourceDefinitionSpec>(ResourceDefinitionType.pointer(definitionId(type)));
      return def.spec.sensitivity === 'sensitive';
    } catch (e) {
      return !isNotFound(e);
    }
  }
}
