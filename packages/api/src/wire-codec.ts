import { newResource, tombstone } from '@cosi-ts/resource';
import type { IdQuery, LabelOp, LabelQuery, LabelTerm, Metadata, Resource, Tombstone } from '@cosi-ts/resource';
import type { StateEvent } from '@cosi-ts/state';
import {
  EventType,
  LabelTerm_Operation as Operation,
  type Event as WireEvent,
  type IDQuery as WireIdQuery,
  type LabelQuery as WireLabelQuery,
  type Metadata as WireMetadata,
  type Resource as WireResource,
} from './gen/cosi/resource/resource.ts';
import { hasProtoCodec, specFromProto, specFromYaml, specToProto, specToYaml } from './spec-codec.ts';

/** A message from the wire that does not describe a valid resource, query or event. */
export class WireFormatError extends TypeError {
  override readonly name = 'WireFormatError';
  readonly code = 'InvalidWireMessage' as const;
}

// Spec §3.5: versions travel as decimal strings; "undefined" is COSI's never-stored version.
export function versionToWire(v: number): string {
  return v === 0 ? 'undefined' : String(v);
}

export function versionFromWire(s: string, where: string): number {
  if (s === 'undefined' || s === '') return 0;
  if (!/^\d{1,15}$/.test(s)) throw new WireFormatError(`${where}: metadata.version ${JSON.stringify(s.slice(0, 32))} is not a decimal version`);
  return Number(s);
}

function metadataToWire(m: Metadata): WireMetadata {
  return {
    namespace: m.namespace,
    type: m.type,
    id: m.id,
    version: versionToWire(m.version),
    owner: m.owner,
    phase: m.phase,
    created: m.created,
    updated: m.updated,
    finalizers: m.finalizers as string[],
    labels: m.labels as Record<string, string>,
    annotations: m.annotations as Record<string, string>,
  };
}

/** Spec §3.6: yaml_spec always, proto_spec for types with a protobuf codec. Tombstones carry metadata only. */
export function resourceToWire(r: Resource | Tombstone): WireResource {
  const metadata = metadataToWire(r.metadata);
  if (r.spec === undefined) return { metadata, spec: undefined };
  return {
    metadata,
    spec: { yamlSpec: specToYaml(r.spec), protoSpec: specToProto(r.metadata.type, r.spec) ?? Buffer.alloc(0) },
  };
}

function describeWire(m: WireMetadata | undefined): string {
  return m ? `${m.namespace}/${m.type}/${m.id}` : '(no metadata)';
}

function decodeSpec(w: WireResource, m: WireMetadata): unknown {
  const s = w.spec;
  if (s === undefined) return undefined;
  if (s.yamlSpec !== '') {
    try {
      return specFromYaml(s.yamlSpec);
    } catch (e) {
      throw new WireFormatError(`resource ${describeWire(m)}: yaml_spec is not valid YAML: ${(e as Error).message}`, { cause: e });
    }
  }
  if (s.protoSpec.length > 0 && hasProtoCodec(m.type)) {
    try {
      return specFromProto(m.type, s.protoSpec);
    } catch (e) {
      throw new WireFormatError(`resource ${describeWire(m)}: proto_spec does not decode: ${(e as Error).message}`, { cause: e });
    }
  }
  throw new WireFormatError(`resource ${describeWire(m)}: spec has neither yaml_spec nor a proto_spec of a type with a protobuf codec`);
}

/**
 * A resource from the wire; a Resource without a spec message is a Tombstone. Throws WireFormatError
 * naming the resource and field when the message is not a valid resource.
 */
export function resourceFromWire(w: WireResource | undefined, what = 'resource'): Resource | Tombstone {
  const m = w?.metadata;
  if (w === undefined || m === undefined) throw new WireFormatError(`${what}: metadata is missing`);
  if (w.spec === undefined) return tombstone({ namespace: m.namespace, type: m.type, id: m.id });
  const spec = decodeSpec(w, m);
  try {
    return newResource(
      {
        namespace: m.namespace,
        type: m.type,
        id: m.id,
        version: versionFromWire(m.version, `resource ${describeWire(m)}`),
        owner: m.owner,
        phase: m.phase as Metadata['phase'],
        finalizers: m.finalizers,
        labels: m.labels,
        annotations: m.annotations,
        created: m.created ?? new Date(0),
        updated: m.updated ?? new Date(0),
      },
      spec === undefined ? null : spec,
    );
  } catch (e) {
    if (e instanceof WireFormatError) throw e;
    throw new WireFormatError(`${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** A full resource (not a Tombstone), as Create and Update require. */
export function storedResourceFromWire(w: WireResource | undefined, what: string): Resource {
  const r = resourceFromWire(w, what);
  if (r.spec === undefined) throw new WireFormatError(`${what} ${describeWire(w?.metadata)}: spec is missing`);
  return r as Resource;
}

const opToWire: Record<LabelOp, Operation> = {
  exists: Operation.EXISTS,
  equal: Operation.EQUAL,
  in: Operation.IN,
  lt: Operation.LT,
  lte: Operation.LTE,
  ltNumeric: Operation.LT_NUMERIC,
  lteNumeric: Operation.LTE_NUMERIC,
};

export function labelQueriesToWire(queries: readonly LabelQuery[] | undefined): WireLabelQuery[] {
  return (queries ?? []).map((q) => ({
    terms: q.map((t) => ({ key: t.key, op: opToWire[t.op], value: [...(t.values ?? [])], invert: t.invert === true })),
  }));
}

function termFromWire(t: WireLabelQuery['terms'][number]): LabelTerm {
  // NOT_EXISTS is deprecated in COSI: it is EXISTS inverted.
  if (t.op === Operation.NOT_EXISTS) return { key: t.key, op: 'exists', invert: !t.invert };
  const op = (Object.entries(opToWire) as [LabelOp, Operation][]).find(([, w]) => w === t.op)?.[0];
  if (op === undefined) throw new WireFormatError(`label term ${JSON.stringify(t.key)}: unknown operation ${t.op}`);
  const term: LabelTerm = { key: t.key, op, ...(op === 'exists' ? {} : { values: t.value }), ...(t.invert ? { invert: true } : {}) };
  return term;
}

export function labelQueriesFromWire(queries: readonly WireLabelQuery[]): LabelQuery[] {
  return queries.map((q) => q.terms.map(termFromWire));
}

export function idQueryToWire(q: IdQuery | undefined): WireIdQuery | undefined {
  if (q === undefined) return undefined;
  return { regexp: typeof q.regexp === 'string' ? q.regexp : q.regexp.source };
}

export function idQueryFromWire(q: WireIdQuery | undefined): IdQuery | undefined {
  return q === undefined || q.regexp === '' ? undefined : { regexp: q.regexp };
}

const eventTypeToWire: Record<StateEvent['type'], EventType> = {
  created: EventType.CREATED,
  updated: EventType.UPDATED,
  destroyed: EventType.DESTROYED,
  bootstrapped: EventType.BOOTSTRAPPED,
  errored: EventType.ERRORED,
  noop: EventType.NOOP,
};

export function eventToWire(e: StateEvent): WireEvent {
  if (e.type === 'errored') return { resource: undefined, eventType: EventType.ERRORED, old: undefined, error: e.error.message };
  const out: WireEvent = {
    resource: resourceToWire(e.resource),
    eventType: eventTypeToWire[e.type],
    old: e.type === 'updated' ? resourceToWire(e.old) : undefined,
  };
  if (e.bookmark !== undefined) out.bookmark = Buffer.from(e.bookmark.buffer, e.bookmark.byteOffset, e.bookmark.byteLength);
  return out;
}

/** A non-errored event from the wire (errored events are handled by the watch, which knows the status). */
export function eventFromWire(w: WireEvent): StateEvent {
  const resource = resourceFromWire(w.resource, 'event resource');
  const bookmark = w.bookmark === undefined ? undefined : new Uint8Array(w.bookmark);
  const withBookmark = bookmark === undefined ? {} : { bookmark };
  switch (w.eventType) {
    case EventType.CREATED:
    case EventType.DESTROYED:
      if (w.eventType === EventType.CREATED && resource.spec === undefined) throw new WireFormatError('created event without a spec');
      return { type: w.eventType === EventType.CREATED ? 'created' : 'destroyed', resource: resource as Resource, ...withBookmark };
    case EventType.UPDATED: {
      const old = resourceFromWire(w.old, 'event old');
      if (resource.spec === undefined || old.spec === undefined) throw new WireFormatError('updated event without specs');
      return { type: 'updated', resource: resource as Resource, old: old as Resource, ...withBookmark };
    }
    case EventType.BOOTSTRAPPED:
    case EventType.NOOP:
      // A server without bookmarks (older COSI) sends none: an empty bookmark is refused when used.
      return { type: w.eventType === EventType.NOOP ? 'noop' : 'bootstrapped', resource: resource as Tombstone, bookmark: bookmark ?? new Uint8Array(0) };
    default:
      throw new WireFormatError(`unknown event type ${w.eventType}`);
  }
}
