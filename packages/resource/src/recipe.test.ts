import { describe, expect, it } from 'vitest';
import type { Metadata } from './metadata.ts';
import { applyRecipe } from './recipe.ts';
import { newResource } from './resource.ts';

interface Spec {
  count: number;
  tags: string[];
  nested: { deep: { value: string } };
}

const original = newResource<Spec>(
  {
    namespace: 'ns',
    type: 'Things.test.dev',
    id: 'a',
    version: 4,
    owner: 'ctrl',
    finalizers: ['f1'],
    labels: { app: 'web' },
    created: new Date(1000),
    updated: new Date(2000),
  },
  { count: 1, tags: ['x'], nested: { deep: { value: 'v' } } },
);

describe('applyRecipe', () => {
  it('returns the same object when the recipe changes nothing', async () => {
    expect(await applyRecipe(original, () => {})).toBe(original);
    expect(
      await applyRecipe(original, (d) => {
        d.spec.count = 1;
        d.metadata.labels['app'] = 'web';
      }),
    ).toBe(original);
  });

  it('returns the same object when a change is undone or a duplicate finalizer is added', async () => {
    expect(
      await applyRecipe(original, (d) => {
        d.spec.tags.push('y');
        d.spec.tags.pop();
        d.metadata.finalizers.push('f1');
      }),
    ).toBe(original);
  });

  it('changes spec, labels, annotations, finalizers and phase into a new frozen resource', async () => {
    const next = await applyRecipe(original, (d) => {
      d.spec.count += 1;
      d.spec.nested.deep.value = 'w';
      d.metadata.labels['tier'] = 'front';
      delete d.metadata.labels['app'];
      d.metadata.annotations['note'] = 'hi';
      d.metadata.finalizers.push('f2');
      d.metadata.phase = 'tearingDown';
    });
    expect(next).not.toBe(original);
    expect(next.spec).toEqual({ count: 2, tags: ['x'], nested: { deep: { value: 'w' } } });
    expect(next.metadata).toMatchObject({
      labels: { tier: 'front' },
      annotations: { note: 'hi' },
      finalizers: ['f1', 'f2'],
      phase: 'tearingDown',
    });
    expect(Object.isFrozen(next) && Object.isFrozen(next.metadata) && Object.isFrozen(next.spec.nested.deep)).toBe(true);
    expect(next.spec.tags).toBe(original.spec.tags); // unchanged parts are shared
  });

  it('leaves version, owner and times to the state and the original untouched', async () => {
    const next = await applyRecipe(original, (d) => {
      d.spec.count = 5;
    });
    expect(next.metadata.version).toBe(4);
    expect(next.metadata.owner).toBe('ctrl');
    expect(next.metadata.created.getTime()).toBe(1000);
    expect(next.metadata.updated.getTime()).toBe(2000);
    expect(original.spec.count).toBe(1);
  });

  it('supports async recipes', async () => {
    const next = await applyRecipe(original, async (d) => {
      await Promise.resolve();
      d.spec.count = 9;
    });
    expect(next.spec.count).toBe(9);
  });

  it('dedupes finalizers keeping the first occurrence', async () => {
    const next = await applyRecipe(original, (d) => {
      d.metadata.finalizers = ['f2', 'f1', 'f2', 'f3', 'f1'];
    });
    expect(next.metadata.finalizers).toEqual(['f2', 'f1', 'f3']);
  });

  it('sees a finalizer reorder as a change', async () => {
    const two = newResource({ ...original.metadata, finalizers: ['a', 'b'] }, original.spec);
    const next = await applyRecipe(two, (d) => {
      d.metadata.finalizers.reverse();
    });
    expect(next).not.toBe(two);
    expect(next.metadata.finalizers).toEqual(['b', 'a']);
  });

  it.each<[keyof Metadata, (d: { metadata: Record<string, unknown> }) => void]>([
    ['id', (d) => void (d.metadata['id'] = 'b')],
    ['namespace', (d) => void (d.metadata['namespace'] = 'other')],
    ['type', (d) => void (d.metadata['type'] = 'Others.test.dev')],
    ['version', (d) => void (d.metadata['version'] = 5)],
    ['owner', (d) => void (d.metadata['owner'] = '')],
    ['created', (d) => void (d.metadata['created'] = new Date(1))],
    ['updated', (d) => void (d.metadata['updated'] = new Date(1))],
  ])('rejects a change of metadata.%s with a TypeError naming it', async (field, change) => {
    const run = applyRecipe(original, (d) => change(d as unknown as { metadata: Record<string, unknown> }));
    await expect(run).rejects.toThrow(TypeError);
    await expect(applyRecipe(original, (d) => change(d as unknown as { metadata: Record<string, unknown> }))).rejects.toThrow(
      new RegExp(`ns/Things\\.test\\.dev/a changed metadata\\.${field}`),
    );
  });

  it('rejects new metadata fields and new top-level fields', async () => {
    await expect(
      applyRecipe(original, (d) => {
        (d.metadata as unknown as Record<string, unknown>)['extra'] = 1;
      }),
    ).rejects.toThrow(/changed metadata\.extra/);
    await expect(
      applyRecipe(original, (d) => {
        (d as unknown as Record<string, unknown>)['status'] = {};
      }),
    ).rejects.toThrow(/added top-level field "status"/);
  });

  it('rejects removing the metadata or the spec', async () => {
    await expect(
      applyRecipe(original, (d) => {
        delete (d as Partial<typeof d>).metadata;
      }),
    ).rejects.toThrow(/replaced metadata with a non-object/);
    await expect(
      applyRecipe(original, (d) => {
        delete (d as Partial<typeof d>).spec;
      }),
    ).rejects.toThrow(/removed the spec/);
  });

  it('rejects invalid edits of editable fields', async () => {
    await expect(
      applyRecipe(original, (d) => {
        d.metadata.phase = 'gone' as 'running';
      }),
    ).rejects.toThrow(/metadata\.phase/);
    await expect(
      applyRecipe(original, (d) => {
        d.metadata.labels['n'] = 1 as unknown as string;
      }),
    ).rejects.toThrow(/metadata\.labels\["n"\] must be a string/);
    await expect(
      applyRecipe(original, (d) => {
        (d.spec as unknown as Record<string, unknown>)['fn'] = () => 1;
      }),
    ).rejects.toThrow(/spec\.fn is a function/);
  });

  it('propagates the recipe error as the same object', async () => {
    const boom = new Error('boom');
    await expect(
      applyRecipe(original, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(
      applyRecipe(original, async () => {
        await Promise.resolve();
        throw boom;
      }),
    ).rejects.toBe(boom);
  });
});

describe('applyRecipe on a hand-made resource', () => {
  it('does not freeze the caller objects', async () => {
    const spec = { count: 1, tags: ['x'], nested: { deep: { value: 'v' } } };
    const handMade = { metadata: { ...original.metadata, labels: { a: 'b' } }, spec };
    const next = await applyRecipe<Spec>(handMade, (d) => {
      d.spec.count = 2;
    });
    expect(next.spec.count).toBe(2);
    expect(Object.isFrozen(next.spec.nested)).toBe(true);
    expect(Object.isFrozen(spec.nested)).toBe(false);
    expect(Object.isFrozen(handMade.metadata.labels)).toBe(false);
    expect(await applyRecipe<Spec>(handMade, () => {})).toBe(handMade);
  });
});
