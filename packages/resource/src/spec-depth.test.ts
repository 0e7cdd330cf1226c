import { describe, expect, it } from 'vitest';
import { applyRecipe } from './recipe.ts';
import { decodeResource, encodeResource } from './codec.ts';
import { specEquals } from './equality.ts';
import { isResourceDecodeError, isSpecTooDeep } from './errors.ts';
import { MAX_SPEC_DEPTH, cloneSpec, deepFreeze, frozenCopy } from './plain-data.ts';
import { defineResourceType } from './resource-type.ts';

const Deep = defineResourceType<unknown>({ type: 'Deeps.test.cosi.dev', defaultNamespace: 'default' });

/** Exactly `levels` nested containers, alternating objects and arrays: { a: [ { a: [ … ] } ] }. */
function nest(levels: number): unknown {
  let v: unknown = levels % 2 === 0 ? [] : {};
  for (let i = levels - 1; i > 0; i--) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

/** The error `fn` throws (never a RangeError from a blown stack), or undefined. */
function errorOf(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}

function expectTooDeep(e: unknown, what: string): void {
  expect(e, what).toBeInstanceOf(TypeError);
  expect(isSpecTooDeep(e), `${what}: ${String(e)}`).toBe(true);
  expect((e as Error).message).toContain(`MAX_SPEC_DEPTH = ${MAX_SPEC_DEPTH}`);
  expect(e).toMatchObject({ limit: MAX_SPEC_DEPTH });
}

describe(`spec depth: at most MAX_SPEC_DEPTH (${MAX_SPEC_DEPTH}) nested arrays and objects`, () => {
  const ok = nest(MAX_SPEC_DEPTH);

  it('accepts the limit everywhere, YAML and JSON round trips included', () => {
    expect(cloneSpec(ok)).toEqual(ok);
    expectTooDeep(errorOf(() => deepFreeze(nest(MAX_SPEC_DEPTH + 1))), 'one level more');
    const r = Deep.create('ok', ok);
    for (const format of ['json', 'yaml'] as const) expect(decodeResource(encodeResource(r, format), format).spec).toEqual(ok);
    expect(specEquals(ok, nest(MAX_SPEC_DEPTH))).toBe(true);
  });

  for (const levels of [MAX_SPEC_DEPTH + 2, 100_000]) {
    it(`refuses ${levels.toLocaleString('en-US')} levels with a typed TypeError naming the limit, never a RangeError`, async () => {
      const tooDeep = () => nest(levels);
      expectTooDeep(errorOf(() => deepFreeze(tooDeep())), 'deepFreeze');
      expectTooDeep(errorOf(() => cloneSpec(tooDeep())), 'cloneSpec');
      expectTooDeep(errorOf(() => frozenCopy(tooDeep())), 'frozenCopy');
      expectTooDeep(errorOf(() => Deep.create('deep', tooDeep())), 'newResource');
      expectTooDeep(errorOf(() => specEquals(tooDeep(), tooDeep())), 'specEquals');
      const base = Deep.create('x', { v: 1 });
      expectTooDeep(await applyRecipe(base, (d) => void (d.spec = tooDeep())).catch((e: unknown) => e), 'applyRecipe');
      // Built as text: JSON.stringify itself cannot take 100,000 levels.
      const text = encodeResource(base, 'json').replace('"spec":{"v":1}', `"spec":${'[{"a":'.repeat(levels / 2)}1${'}]'.repeat(levels / 2)}`);
      expect(text).toContain('"spec":[{"a":');
      // Decoding keeps its own typed error (the field is the spec); the depth error is its cause.
      const decoded = errorOf(() => decodeResource(text, 'json'));
      expect(isResourceDecodeError(decoded)).toBe(true);
      expect(decoded).toMatchObject({ field: 'spec' });
      expectTooDeep((decoded as Error).cause, 'decode json');
    });
  }

  it('names the spec and where the limit was passed', () => {
    const e = errorOf(() => Deep.create('where', { top: nest(MAX_SPEC_DEPTH) }));
    expectTooDeep(e, 'nested under top');
    expect((e as Error).message).toContain('resource default/Deeps.test.cosi.dev/where spec.top');
  });
});
