import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { NamespaceType, ResourceDefinitionType, defineResourceType } from '@cosi-ts/resource';
import {
  WireEvent as Event,
  EventType,
  LabelOperation,
  UpdateRequest,
  WatchRequest,
  WatchResponse,
  WireResource,
  WireResourceDefinitionSpec,
  Sensitivity,
  TeardownResponse,
  ListRequest,
  CreateRequest,
} from './index.ts';
import { resourceFromWire, resourceToWire } from './wire-codec.ts';

// Protobuf wire bytes built by hand from the spec's tables (resource-api.md §1–2), so a wrong field
// number or type in our .proto cannot hide behind a symmetric encode/decode.
const varint = (n: number | bigint): number[] => {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
};
const tag = (field: number, wire: 0 | 2) => varint((field << 3) | wire);
const int = (field: number, n: number | bigint) => [...tag(field, 0), ...varint(n)];
const bytes = (field: number, b: number[] | Uint8Array) => [...tag(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string) => bytes(field, [...Buffer.from(s, 'utf8')]);
const msg = (field: number, ...parts: number[][]) => bytes(field, parts.flat());
const u8 = (...parts: number[][]) => new Uint8Array(parts.flat());

describe('hand-built bytes decode field by field (spec §1)', () => {
  const created = msg(7, int(1, 1_700_000_000), int(2, 123_000_000));
  const updated = msg(8, int(1, 1_700_000_001));
  const metadata = msg(
    1,
    str(1, 'ns'),
    str(2, 'Things.test.cosi.dev'),
    str(3, 'thing-1'),
    str(4, '42'),
    str(5, 'ctrl'),
    str(6, 'tearingDown'),
    created,
    updated,
    str(9, 'f1'),
    str(9, 'f2'),
    msg(10, str(1, 'app'), str(2, 'web')),
    msg(11, str(1, 'note'), str(2, 'hi')),
  );
  const spec = msg(2, bytes(1, [1, 2, 3]), str(2, 'value: x\n'));

  it('Resource: metadata 1 (namespace 1 … annotations 11), spec 2 (proto_spec 1, yaml_spec 2)', () => {
    const r = WireResource.decode(u8(metadata, spec));
    expect(r.metadata).toMatchObject({
      namespace: 'ns',
      type: 'Things.test.cosi.dev',
      id: 'thing-1',
      version: '42',
      owner: 'ctrl',
      phase: 'tearingDown',
      finalizers: ['f1', 'f2'],
      labels: { app: 'web' },
      annotations: { note: 'hi' },
    });
    expect(r.metadata?.created?.getTime()).toBe(1_700_000_000_123);
    expect(r.metadata?.updated?.getTime()).toBe(1_700_000_001_000);
    expect([...(r.spec?.protoSpec ?? [])]).toEqual([1, 2, 3]);
    expect(r.spec?.yamlSpec).toBe('value: x\n');
    // Block-style YAML (what a Go COSI server sends) decodes as well as our flow style.
    const decoded = resourceFromWire(r);
    expect(decoded.metadata.version).toBe(42);
    expect(decoded.spec).toEqual({ value: 'x' });
  });

  it('version "undefined" is 0 both ways', () => {
    const t = defineResourceType<{ v: number }>({ type: 'Things.test.cosi.dev', defaultNamespace: 'ns' });
    const w = resourceToWire(t.create('a', { v: 1 }));
    expect(w.metadata?.version).toBe('undefined');
    expect(resourceFromWire(w).metadata.version).toBe(0);
  });

  it('Event: resource 1, event_type 2, old 3, error 4, bookmark 5; EventType numbers', () => {
    const e = Event.decode(u8(msg(1, metadata, spec), int(2, 1), msg(3, metadata, spec), str(4, 'boom'), bytes(5, [9, 8])));
    expect(e.eventType).toBe(EventType.UPDATED);
    expect(e.old?.metadata?.id).toBe('thing-1');
    expect(e.error).toBe('boom');
    expect([...(e.bookmark ?? [])]).toEqual([9, 8]);
    expect([EventType.CREATED, EventType.UPDATED, EventType.DESTROYED, EventType.BOOTSTRAPPED, EventType.ERRORED, EventType.NOOP]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('WatchRequest: namespace 1, type 2, id 3, options 4 {1…7}, api_version 5', () => {
    const term = msg(1, str(1, 'env'), int(2, 3), str(3, 'a'), str(3, 'b'), int(5, 1));
    const options = msg(4, int(1, 1), int(2, 7), msg(3, term), msg(4, str(1, '^x')), int(5, 1), bytes(6, [1]), int(7, 1));
    const r = WatchRequest.decode(u8(str(1, 'ns'), str(2, 'T'), str(3, 'id'), options, int(5, 1)));
    expect(r).toMatchObject({ namespace: 'ns', type: 'T', id: 'id', apiVersion: 1 });
    expect(r.options).toMatchObject({ bootstrapContents: true, tailEvents: 7, aggregated: true, bootstrapBookmark: true, idQuery: { regexp: '^x' } });
    expect(r.options?.labelQuery[0]?.terms[0]).toMatchObject({ key: 'env', op: LabelOperation.IN, value: ['a', 'b'], invert: true });
    expect([...(r.options?.startFromBookmark ?? [])]).toEqual([1]);
    expect([LabelOperation.EXISTS, LabelOperation.EQUAL, LabelOperation.NOT_EXISTS, LabelOperation.IN, LabelOperation.LT, LabelOperation.LTE, LabelOperation.LT_NUMERIC, LabelOperation.LTE_NUMERIC]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('UpdateRequest: new_resource 2 (1 reserved), options 3 {owner 1, expected_phase 2}', () => {
    const r = UpdateRequest.decode(u8(msg(2, metadata, spec), msg(3, str(1, 'me'), str(2, 'running'))));
    expect(r.newResource?.metadata?.id).toBe('thing-1');
    expect(r.options).toMatchObject({ owner: 'me', expectedPhase: 'running' });
    expect(UpdateRequest.decode(u8(msg(3, str(1, 'me')))).options?.expectedPhase).toBeUndefined();
  });

  it('List options 3 {label_query 1, id_query 2}; Create options 2 {owner 1}; Teardown destroy_ready 1; WatchResponse event 1', () => {
    const l = ListRequest.decode(u8(str(1, 'ns'), str(2, 'T'), msg(3, msg(1, msg(1, str(1, 'k'))), msg(2, str(1, 'r')))));
    expect(l.options?.labelQuery[0]?.terms[0]).toMatchObject({ key: 'k', op: LabelOperation.EXISTS });
    expect(l.options?.idQuery?.regexp).toBe('r');
    expect(CreateRequest.decode(u8(msg(1, metadata, spec), msg(2, str(1, 'o')))).options?.owner).toBe('o');
    expect(TeardownResponse.decode(u8(int(1, 1))).destroyReady).toBe(true);
    expect(WatchResponse.decode(u8(msg(1, int(2, 5)), msg(1, int(2, 3)))).event.map((e) => e.eventType)).toEqual([EventType.NOOP, EventType.BOOTSTRAPPED]);
  });

  it('ResourceDefinitionSpec: resource_type 1 … print_columns 6 {name 1, json_path 2}, sensitivity 7', () => {
    const d = WireResourceDefinitionSpec.decode(
      u8(str(1, 'Things.test.cosi.dev'), str(2, 'Thing'), str(3, 'ns'), str(4, 'thing'), str(5, 'things'), msg(6, str(1, 'Col'), str(2, '{.a}')), int(7, 1)),
    );
    expect(d).toMatchObject({ resourceType: 'Things.test.cosi.dev', displayType: 'Thing', defaultNamespace: 'ns', aliases: ['thing'], allAliases: ['things'], sensitivity: Sensitivity.SENSITIVE });
    expect(d.printColumns).toMatchObject([{ name: 'Col', jsonPath: '{.a}' }]);
  });

  it('meta types carry proto_spec beside yaml_spec (spec §3.6); other types only yaml_spec', () => {
    const def = ResourceDefinitionType.create('things.test.cosi.dev', defineResourceType({ type: 'Things.test.cosi.dev', defaultNamespace: 'ns', sensitive: true }).definition);
    const w = resourceToWire(def);
    const proto = WireResourceDefinitionSpec.decode(w.spec?.protoSpec ?? new Uint8Array());
    expect(proto).toMatchObject({ resourceType: 'Things.test.cosi.dev', sensitivity: Sensitivity.SENSITIVE });
    // yaml_spec is YAML (flow style) that any YAML reader turns into the spec.
    expect(YAML.parse(w.spec?.yamlSpec ?? '')).toEqual(def.spec);
    const ns = resourceToWire(NamespaceType.create('x', { description: 'd' }));
    const r = new BinaryReader(ns.spec?.protoSpec ?? new Uint8Array());
    expect(r.tag()).toEqual([1, 2]);
    expect(r.string()).toBe('d');
    const plain = resourceToWire(defineResourceType<{ a: number }>({ type: 'Things.test.cosi.dev', defaultNamespace: 'ns' }).create('a', { a: 1 }));
    expect(plain.spec?.protoSpec.length).toBe(0);
    // Empty yaml_spec falls back to proto_spec for types with a codec.
    const fromProto = resourceFromWire({ metadata: w.metadata, spec: { yamlSpec: '', protoSpec: w.spec?.protoSpec ?? Buffer.alloc(0) } });
    expect(fromProto.spec).toEqual(def.spec);
  });
});
