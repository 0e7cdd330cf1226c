import { describe, expect, it } from 'vitest';
import { ResourceQueue } from './resource-queue.ts';

const p = (id: string) => ({ namespace: 'n', type: 'Things.test.cosi.dev', id });

describe('ResourceQueue', () => {
  it('runs calls of one resource one at a time, in order; other resources do not wait; idle holds nothing', async () => {
    const q = new ResourceQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a1 = q.run(p('a'), undefined, async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      return 1;
    });
    const a2 = q.run(p('a'), undefined, async () => {
      log.push('a2');
      throw new Error('a2 failed');
    });
    const a3 = q.run(p('a'), undefined, async () => void log.push('a3'));
    await q.run(p('b'), undefined, async () => void log.push('b'));
    expect(log).toEqual(['a1 start', 'b']);
    release();
    expect(await a1).toBe(1);
    await expect(a2).rejects.toThrow('a2 failed');
    await a3;
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2', 'a3']);
    await new Promise<void>((r) => setImmediate(r));
    expect(q.size).toBe(0);
  });

  it('an aborted waiter rejects at once; the one behind it still waits for the one ahead', async () => {
    const q = new ResourceQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = q.run(p('a'), undefined, async () => {
      await gate;
      log.push('first');
    });
    const ac = new AbortController();
    const aborted = q.run(p('a'), ac.signal, async () => void log.push('aborted ran'));
    const third = q.run(p('a'), undefined, async () => void log.push('third'));
    ac.abort(new Error('gave up'));
    await expect(aborted).rejects.toThrow('gave up');
    await new Promise<void>((r) => setImmediate(r));
    expect(log).toEqual([]);
    release();
    await Promise.all([first, third]);
    expect(log).toEqual(['first', 'third']);
    const already = new AbortController();
    already.abort(new Error('before'));
    const busy = q.run(p('a'), undefined, () => gate);
    await expect(q.run(p('a'), already.signal, async () => 1)).rejects.toThrow('before');
    await busy;
  });
});
