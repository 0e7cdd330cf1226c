import type { Resource } from '@cosi-ts/resource';
import type { StateEvent } from './state.ts';

/** A label/id filter compiled by `compileFilter`. */
export type ResourceMatcher = (r: Resource) => boolean;

/**
 * §5.7: an event as a filtered watchKind sees it, or undefined when the watch does not see it.
 * `updated` by old/new match: both → as is; old only → synthetic `destroyed` (resource = new);
 * new only → synthetic `created`; neither → dropped. Synthetic events keep the bookmark, have no `old`.
 */
export function filterEvent<S>(ev: StateEvent<S>, match: ResourceMatcher): StateEvent<S> | undefined {
  switch (ev.type) {
    case 'created':
    case 'destroyed':
      return match(ev.resource) ? ev : undefined;
    case 'updated': {
      const was = match(ev.old);
      const is = match(ev.resource);
      if (was === is) return was ? ev : undefined;
      const type = was ? 'destroyed' : 'created';
      return Object.freeze(
        ev.bookmark === undefined ? { type, resource: ev.resource } : { type, resource: ev.resource, bookmark: ev.bookmark },
      );
    }
    default:
      return ev;
  }
}
