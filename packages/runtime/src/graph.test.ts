import { describe, it, expect } from 'vitest';
import { InMemoryState } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import { toDot } from './graph.ts';
import { Ints, Strs } from './conformance/types.ts';

describe('graph', () => {
  it('includes dynamic inputs, sorts edges and quotes ids in DOT', async () => {
    const rt = new Runtime(new InMemoryState());
    let ready!: () => void;
    const updated = new Promise<void>((r) => (ready = r));
    rt.register({
      name: 'b "quoted"',
      inputs: [],
      outputs: [{ type: Strs, kind: 'shared' }],
      async run(ctx) {
        await ctx.updateInputs([{ namespace: 'ints', type: Ints, id: 'x', kind: 'weak' }]);
        ready();
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
      },
    });
    rt.register({
      name: 'a',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'primary' }],
      outputs: [{ type: Strs, kind: 'shared' }],
      reconcile: async () => {},
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await updated;
    const g = rt.graph();
    expect(g.controllers).toEqual(['a', 'b "quoted"']);
    expect(g.edges).toEqual([
      { controller: 'a', kind: 'inputPrimary', type: Ints.type, namespace: 'ints' },
      { controller: 'a', kind: 'outputShared', type: Strs.type },
      { controller: 'b "quoted"', kind: 'inputWeak', type: Ints.type, namespace: 'ints', id: 'x' },
      { controller: 'b "quoted"', kind: 'outputShared', type: Strs.type },
    ]);
    const dot = toDot(g);
    expect(dot).toContain('"Ints.test.cosi.dev" -> "b \\"quoted\\"" [label="ints/x", style=dashed];');
    expect(toDot(g)).toBe(dot);
    ac.abort();
    await running;
  });
});
