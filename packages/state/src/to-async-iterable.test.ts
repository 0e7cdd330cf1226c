import { describe, expect, it } from 'vitest';
import { Observable, Subject, of, throwError, concat } from 'rxjs';
import { BufferOverflowError, toAsyncIterable } from './to-async-iterable.ts';

/** A subject that reports how many subscribers it has. */
function tracked<T>() {
  const subject = new Subject<T>();
  let active = 0;
  const obs = new Observable<T>((s) => {
    active++;
    const sub = subject.subscribe(s);
    return () => {
      active--;
      sub.unsubscribe();
    };
  });
  return { subject, obs, active: () => active };
}

describe('toAsyncIterable', () => {
  it('yields every value in order and ends on complete', async () => {
    const got: number[] = [];
    for await (const v of toAsyncIterable(of(1, 2, 3))) got.push(v);
    expect(got).toEqual([1, 2, 3]);
  });

  it('throws the observable error after the values before it', async () => {
    const boom = new Error('boom');
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of toAsyncIterable(concat(of(1), throwError(() => boom)))) got.push(v);
      })(),
    ).rejects.toBe(boom);
    expect(got).toEqual([1]);
  });

  it('subscribes lazily and unsubscribes on break', async () => {
    const t = tracked<number>();
    const it = toAsyncIterable(t.obs);
    expect(t.active()).toBe(0);
    const pending = it.next();
    expect(t.active()).toBe(1);
    t.subject.next(1);
    expect(await pending).toEqual({ value: 1, done: false });
    t.subject.next(2);
    for await (const v of it) {
      expect(v).toBe(2);
      break;
    }
    expect(t.active()).toBe(0);
  });

  it('rejects a pending next with the abort reason and unsubscribes', async () => {
    const t = tracked<number>();
    const ac = new AbortController();
    const it = toAsyncIterable(t.obs, { signal: ac.signal });
    const pending = it.next();
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(t.active()).toBe(0);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('keeps order while a slow reader lags behind a steady producer', async () => {
    const t = tracked<number>();
    const it = toAsyncIterable(t.obs);
    const got: number[] = [];
    let sent = 0;
    const first = it.next(); // subscribes
    t.subject.next(sent++);
    got.push((await first).value as number);
    while (got.length < 5000) {
      t.subject.next(sent++);
      t.subject.next(sent++);
      got.push((await it.next()).value as number);
    }
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    await it.return?.();
    expect(t.active()).toBe(0);
  });

  it('fails with BufferOverflowError once the buffer bound is exceeded', async () => {
    const t = tracked<number>();
    const it = toAsyncIterable(t.obs, { highWaterMark: 2 });
    const first = it.next();
    for (let i = 0; i < 5; i++) t.subject.next(i);
    expect(await first).toEqual({ value: 0, done: false });
    expect(t.active()).toBe(0);
    expect((await it.next()).value).toBe(1);
    expect((await it.next()).value).toBe(2);
    await expect(it.next()).rejects.toBeInstanceOf(BufferOverflowError);
  });
});
