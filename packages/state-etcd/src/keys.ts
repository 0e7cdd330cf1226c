import type { Kind, Pointer } from '@cosi-ts/resource';

/**
 * Key layout under the prefix: `<prefix>r/<namespace>/<type>/<id>`, each part URI-encoded so that a
 * `/` in a name can never make one kind's range overlap another's.
 */
export class KeyLayout {
  constructor(readonly prefix: string) {}

  kindPrefix(kind: Kind): string {
    return `${this.prefix}r/${encodeURIComponent(kind.namespace)}/${encodeURIComponent(kind.type)}/`;
  }

  key(ptr: Pointer): string {
    return this.kindPrefix(ptr) + encodeURIComponent(ptr.id);
  }

  /** The id of a key inside `kindPrefix`. */
  idOf(kindPrefix: string, key: Buffer): string {
    return decodeURIComponent(key.toString('utf8').slice(kindPrefix.length));
  }
}
