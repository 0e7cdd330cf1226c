import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeResource, encodeResource, resourceFromPlain, resourceToPlain, type ResourceFormat } from './codec.ts';
import { specEquals } from './equality.ts';
import { isResourceDecodeError } from './errors.ts';
import type { Resource } from './metadata.ts';
import { newResource } from './resource.ts';

const resourceArb: fc.Arbitrary<Resource<unknown>> = fc
  .record({
    namespace: fc.string({ minLength: 1 }),
    type: fc.string({ minLength: 1 }),
    id: fc.string({ minLength: 1 }),
    version: fc.nat(),
    owner: fc.string(),
    phase: fc.constantFrom('running' as const, 'tearingDown' as const),
    finalizers: fc.uniqueArray(fc.string()),
    labels: fc.dictionary(fc.string(), fc.string()),
    annotations: fc.dictionary(fc.string(), fc.string()),
    created: fc.date({ noInvalidDate: true }),
    updated: fc.date({ noInvalidDate: true }),
    spec: fc.jsonValue(),
  })
  .map(({ spec, ...md }) => newResource(md, spec));

const sample = newResource(
  {
    namespace: 'cluster',
    type: 'Affiliates.cluster.talos.dev',
    id: 'n1',
    version: 3,
    owner: 'ctrl',
    finalizers: ['b', 'a'],
    labels: { z: '1', a: '2' },
    annotations: { note: 'x' },
    created: new Date('2024-01-02T03:04:05.678Z'),
    updated: new Date('2024-01-02T03:04:06.001Z'),
  },
  { nodename: 'node-1', addresses: ['10.0.0.1'], nested: { n: 1.5, ok: true, none: null } },
);

describe('codecs', () => {
  it('encode the documented JSON shape', () => {
    expect(resourceToPlain(sample)).toEqual({
      metadata: {
        namespace: 'cluster',
        type: 'Affiliates.cluster.talos.dev',
        id: 'n1',
        version: 3,
        owner: 'ctrl',
        phase: 'running',
        finalizers: ['b', 'a'],
        labels: { z: '1', a: '2' },
        annotations: { note: 'x' },
        created: '2024-01-02T03:04:05.678Z',
        updated: '2024-01-02T03:04:06.001Z',
      },
      spec: { nodename: 'node-1', addresses: ['10.0.0.1'], nested: { n: 1.5, ok: true, none: null } },
    });
  });

  it('write readable YAML', () => {
    const text = encodeResource(sample, 'yaml');
    expect(text).toContain('id: n1\n');
    expect(text).toContain('created: 2024-01-02T03:04:05.678Z\n');
    expect(decodeResource(text, 'yaml').metadata.created.getTime()).toBe(sample.metadata.created.getTime());
  });

  it.each<ResourceFormat>(['json', 'yaml'])('round-trip exactly through %s (property)', (format) => {
    fc.assert(
      fc.property(resourceArb, (r) => {
        const back = decodeResource(encodeResource(r, format), format);
        expect(JSON.stringify(resourceToPlain(back))).toBe(JSON.stringify(resourceToPlain(r)));
        expect(back.metadata.created.getTime()).toBe(r.metadata.created.getTime());
        expect(back.metadata.updated.getTime()).toBe(r.metadata.updated.getTime());
        expect(Object.keys(back.metadata.labels)).toEqual(Object.keys(r.metadata.labels));
        expect(back.metadata.finalizers).toEqual(r.metadata.finalizers);
        expect(specEquals(back.spec, r.spec)).toBe(true);
        expect(Object.isFrozen(back) && Object.isFrozen(back.metadata)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  const valid = () => JSON.parse(JSON.stringify(resourceToPlain(sample))) as { metadata: Record<string, unknown>; spec: unknown } & Record<string, unknown>;

  it.each<[string, (o: ReturnType<typeof valid>) => void, string]>([
    ['missing version', (o) => void delete o.metadata['version'], 'metadata.version'],
    ['negative version', (o) => void (o.metadata['version'] = -1), 'metadata.version'],
    ['string version', (o) => void (o.metadata['version'] = '3'), 'metadata.version'],
    ['bad created', (o) => void (o.metadata['created'] = 'yesterday'), 'metadata.created'],
    ['numeric updated', (o) => void (o.metadata['updated'] = 5), 'metadata.updated'],
    ['bad phase', (o) => void (o.metadata['phase'] = 'gone'), 'metadata.phase'],
    ['empty id', (o) => void (o.metadata['id'] = ''), 'metadata.id'],
    ['duplicate finalizers', (o) => void (o.metadata['finalizers'] = ['a', 'a']), 'metadata.finalizers'],
    ['numeric label', (o) => void (o.metadata['labels'] = { a: 1 }), 'metadata.labels'],
    ['unknown metadata field', (o) => void (o.metadata['extra'] = 1), 'metadata.extra'],
    ['unknown top-level field', (o) => void (o['status'] = {}), 'status'],
    ['missing spec', (o) => void delete o.spec, 'spec'],
    ['missing metadata', (o) => void delete (o as Record<string, unknown>)['metadata'], 'metadata'],
  ])('reject %s with a TypeError naming the field', (_why, breakIt, field) => {
    const o = valid();
    breakIt(o);
    for (const format of ['json', 'yaml'] as const) {
      const text = format === 'json' ? JSON.stringify(o) : encodeYaml(o);
      let caught: unknown;
      try {
        decodeResource(text, format);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TypeError);
      expect(isResourceDecodeError(caught) && caught.field).toBe(field);
      expect((caught as Error).message).toContain(field);
    }
  });

  it('reject text that does not parse', () => {
    expect(() => decodeResource('{', 'json')).toThrow(/not valid json/);
    expect(() => decodeResource('a: [', 'yaml')).toThrow(/not valid yaml/);
    expect(() => decodeResource('42', 'json')).toThrow(/must be an object/);
    expect(() => resourceFromPlain(null)).toThrow(TypeError);
  });
});

function encodeYaml(o: unknown): string {
  // JSON is valid YAML 1.2, so this exercises the YAML parser on the same data.
  return JSON.stringify(o, null, 2);
}
