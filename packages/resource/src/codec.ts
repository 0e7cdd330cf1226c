import YAML from 'yaml';
import { ResourceDecodeError } from './errors.ts';
import type { Resource } from './metadata.ts';
import { cloneSpec, isPlainObject } from './plain-data.ts';
import { newResource } from './resource.ts';

export type ResourceFormat = 'json' | 'yaml';

/** The encoded shape of a resource: metadata with ISO-8601 (ms) times, and the spec as plain data. */
export interface PlainResource {
  readonly metadata: {
    readonly namespace: string;
    readonly type: string;
    readonly id: string;
    readonly version: number;
    readonly owner: string;
    readonly phase: string;
    readonly finalizers: readonly string[];
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly created: string;
    readonly updated: string;
  };
  readonly spec: unknown;
}

export function resourceToPlain(r: Resource<unknown>): PlainResource {
  const m = r.metadata;
  return {
    metadata: {
      namespace: m.namespace,
      type: m.type,
      id: m.id,
      version: m.version,
      owner: m.owner,
      phase: m.phase,
      finalizers: [...m.finalizers],
      labels: { ...m.labels },
      annotations: { ...m.annotations },
      created: m.created.toISOString(),
      updated: m.updated.toISOString(),
    },
    spec: cloneSpec(r.spec, `resource ${m.namespace}/${m.type}/${m.id} spec`),
  };
}

const metadataFields = ['namespace', 'type', 'id', 'version', 'owner', 'phase', 'finalizers', 'labels', 'annotations', 'created', 'updated'];

function decodeDate(v: unknown, field: string): Date {
  const d = typeof v === 'string' ? new Date(v) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) {
    throw new ResourceDecodeError(`metadata.${field}`, `resource: metadata.${field} must be an ISO-8601 time string`);
  }
  return d;
}

/** The inverse of `resourceToPlain`; ResourceDecodeError (a TypeError) naming the bad field. */
export function resourceFromPlain(o: unknown): Resource<unknown> {
  if (!isPlainObject(o)) throw new ResourceDecodeError('', 'resource must be an object with metadata and spec');
  for (const k of Object.keys(o)) {
    if (k !== 'metadata' && k !== 'spec') throw new ResourceDecodeError(k, `resource: unknown field ${JSON.stringify(k)}`);
  }
  const md = o.metadata;
  if (!isPlainObject(md)) throw new ResourceDecodeError('metadata', 'resource: metadata must be an object');
  for (const k of Object.keys(md)) {
    if (!metadataFields.includes(k)) throw new ResourceDecodeError(`metadata.${k}`, `resource: unknown field metadata.${k}`);
  }
  for (const k of metadataFields) {
    if (!Object.hasOwn(md, k)) throw new ResourceDecodeError(`metadata.${k}`, `resource: metadata.${k} is missing`);
  }
  if (o.spec === undefined) throw new ResourceDecodeError('spec', 'resource: spec is missing');
  try {
    return newResource(
      { ...md, created: decodeDate(md.created, 'created'), updated: decodeDate(md.updated, 'updated') } as Parameters<typeof newResource>[0],
      o.spec,
    );
  } catch (e) {
    if (e instanceof ResourceDecodeError || !(e instanceof TypeError)) throw e;
    const field = /metadata\.\w+/.exec(e.message)?.[0] ?? 'spec';
    throw new ResourceDecodeError(field, e.message, { cause: e });
  }
}

/** Text with an exact round-trip through `decodeResource` (times to the ms, map and finalizer order). */
export function encodeResource(r: Resource<unknown>, format: ResourceFormat): string {
  const plain = resourceToPlain(r);
  return format === 'json' ? JSON.stringify(plain) : YAML.stringify(plain, { aliasDuplicateObjects: false, lineWidth: 0 });
}

export function decodeResource(text: string, format: ResourceFormat): Resource<unknown> {
  let parsed: unknown;
  try {
    parsed = format === 'json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new ResourceDecodeError('', `resource: not valid ${format}: ${(e as Error).message}`, { cause: e });
  }
  return resourceFromPlain(parsed);
}
