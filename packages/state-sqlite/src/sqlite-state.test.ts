import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defineResourceType } from '@cosi-ts/resource';
import { isInvalidBookmark } from '@cosi-ts/state';
import type { StateEvent } from '@cosi-ts/state';
import { EventRecorder, bookmarkOf, expectErroredThenComplete } from '@cosi-ts/state/conformance';
import { isSqliteStateError } from './errors.ts';
import { SqliteState } from './sqlite-state.ts';
import { TempStateFiles } from './testing/index.ts';

const Note = defineResourceType<{ text: string }>({ type: 'Notes.test.cosi.dev', defaultNamespace: 'test' });
const Counter = defineResourceType<{ value: number }>({ type: 'Counters.crash.cosi.dev', defaultNamespace: 'crash' });

const files = new TempStateFiles();
afterAll(() => files.dispose());

const writerScript = fileURLToPath(new URL('./testing/writer-process.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface Writer {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves once a line satisfies `pred` (or rejects when the child exits first or after the timeout). */
  until(pred: (lines: readonly string[]) => boolean, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

function spawnWriter(path: string, rounds?: number): Writer {
  const args = ['--conditions=@cosi-ts/source', '--import', 'tsx', writerScript, path, ...(rounds === undefined ? [] : [String(rounds)])];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const wakers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    const parts = (partial + s).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of wakers) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    children.delete(child);
    for (const w of wakers) w();
    resolve(code);
  }));
  const until = (pred: (lines: readonly string[]) => boolean, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`writer: condition not met within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      const done = (e?: Error) => {
        clearTimeout(timer);
        wakers.delete(check);
        if (e) reject(e);
        else resolve();
      };
      const check = () => {
        if (pred(lines)) done();
        else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`writer exited (${child.exitCode}); stderr: ${stderr}`));
      };
      wakers.add(check);
      check();
    });
  return { child, lines, until, exited };
}

describe('SqliteState: one process per file', () => {
  it('refuses a second opener in this process and in another process, with a clear error', async () => {
    const state = files.open();
    await state.create(Note.create('a', { text: 'a' }));
    let error: unknown;
    try {
      new SqliteState({ path: state.path });
    } catch (e) {
      error = e;
    }
    expect(isSqliteStateError(error, 'SqliteStateLocked'), String(error)).toBe(true);
    expect((error as Error).message).toContain('is open in another process');

    const other = spawnWriter(state.path, 1);
    expect(await other.exited).toBe(3);
    expect(other.lines[0]).toMatch(/^refused SqliteStateLocked /);
    // the first owner is untouched
    expect((await state.get<{ text: string }>(Note.pointer('a'))).spec.text).toBe('a');

    await files.close(state);
    const next = spawnWriter(state.path, 1);
    await next.until((l) => l.includes('done'));
    expect(await next.exited).toBe(0);
  });
});

describe('SqliteState: crash safety', () => {
  it('kill -9 during 1,000 concurrent writes loses no committed write and corrupts nothing', async () => {
    const path = files.path();
    const writer = spawnWriter(path);
    const committed = () => writer.lines.filter((l) => l.startsWith('w ')).length;
    // Let it commit well into its second round of 1000, then kill it mid-write.
    await writer.until(() => committed() >= 1500, 120_000);
    writer.child.kill('SIGKILL');
    await writer.exited;

    const acknowledged = new Map<string, number>();
    for (const l of writer.lines) {
      const m = /^w (\S+) (\d+)$/.exec(l);
      if (m) acknowledged.set(m[1]!, Math.max(acknowledged.get(m[1]!) ?? 0, Number(m[2])));
    }
    expect(acknowledged.size).toBe(50);

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    const state = files.open({ path });
    const all = await state.list<{ value: number }>(Counter.kind());
    expect(all).toHaveLength(50);
    for (const r of all) {
      // every acknowledged write is there, and no write is half-applied: the counter matches its version
      expect(r.metadata.version, r.metadata.id).toBeGreaterThanOrEqual(acknowledged.get(r.metadata.id) ?? 1);
      expect(r.spec.value, r.metadata.id).toBe(r.metadata.version - 1);
    }
    // the log agrees with the resources: a tail of each id ends at its stored version
    for (const r of all.slice(0, 5)) {
      const rec = new EventRecorder(state.watch(Counter.pointer(r.metadata.id), { tailEvents: 1 }));
      const [last] = await rec.take(1);
      rec.unsubscribe();
      expect(last?.type === 'updated' && last.resource.metadata.version).toBe(r.metadata.version);
    }
    // and the store keeps working
    const next = await state.updateWithConflicts<{ value: number }>(Counter.pointer('c0'), (d) => void (d.spec.value += 1));
    expect(next.spec.value).toBe(next.metadata.version - 1);
    await files.close(state);
  }, 180_000);
});

describe('SqliteState: compaction', () => {
  it('keeps the configured number and age of events; older bookmarks get InvalidBookmark, newer resume exactly', async () => {
    let now = Date.UTC(2026, 0, 1);
    const state = files.open({ now: () => new Date(now), history: { keepEvents: 10, keepAgeMs: 3_600_000, compactIntervalMs: 0 } });
    const ns = 'compaction';
    let note = await state.create(Note.create('n', { text: '0' }, { namespace: ns }));
    const live = new EventRecorder(state.watchKind(Note.kind(ns)));
    const seen: StateEvent[] = [];
    for (let i = 1; i < 20; i++) {
      note = await state.modify<{ text: string }>(note.metadata, (d) => void (d.spec.text = `${i}`));
      seen.push(await live.next());
    }
    // all 20 events are younger than an hour: nothing goes
    expect(state.compact()).toEqual({ removed: 0, floor: 0 });
    now += 2 * 3_600_000;
    for (let i = 20; i < 25; i++) {
      note = await state.modify<{ text: string }>(note.metadata, (d) => void (d.spec.text = `${i}`));
      seen.push(await live.next());
    }
    // 25 events, 20 of them older than an hour: the newest 10 stay (5 young ones and 5 old ones)
    const result = state.compact();
    expect(result).toEqual({ removed: 15, floor: 15 });
    expect(state.floor).toBe(15);

    const old = new EventRecorder(state.watchKind(Note.kind(ns), { startFromBookmark: bookmarkOf(seen[5]!) }));
    await expectErroredThenComplete(old, 'InvalidBookmark', 'compacted bookmark');
    const recent = new EventRecorder(state.watchKind(Note.kind(ns), { startFromBookmark: bookmarkOf(seen[14]!) }));
    const resumed = await recent.take(seen.length - 15);
    expect(resumed.map((e) => e.type !== 'errored' && e.resource.spec)).toEqual(seen.slice(15).map((e) => e.type !== 'errored' && e.resource.spec));
    recent.unsubscribe();

    // by age alone: everything older than an hour goes, however few events are left
    expect(state.compact({ keepEvents: 0 })).toEqual({ removed: 5, floor: 20 });
    live.unsubscribe();
    await files.close(state);
  });

  it('compacts on its timer; a bootstrapped watch starved past compaction resyncs by itself, a plain one fails', async () => {
    const state = files.open({ history: { keepEvents: 0, keepAgeMs: 0, compactIntervalMs: 20 } });
    const ns = 'timer';
    await state.create(Note.create('a', { text: 'a' }, { namespace: ns }));
    const boot = new EventRecorder(state.watchKind(Note.kind(ns), { bootstrapContents: true }));
    const plain = new EventRecorder(state.watchKind(Note.kind(ns), { bootstrapBookmark: true }));
    await boot.takeUntil((e) => e.type === 'bootstrapped');
    const [noop] = await plain.take(1);
    // writes and a compaction before either watcher runs: the events they need are gone
    // (no await in between: writes commit inside the call, delivery waits for a microtask)
    const writes = [state.create(Note.create('b', { text: 'b' }, { namespace: ns })), state.destroy(Note.pointer('a', ns))];
    state.compact();
    await Promise.all(writes);
    const resync = await boot.takeUntil((e) => e.type === 'bootstrapped');
    expect(resync.map((e) => `${e.type} ${e.type === 'errored' ? '' : e.resource.metadata.id}`)).toEqual(['destroyed a', 'created b', 'bootstrapped ']);
    await expectErroredThenComplete(plain, 'Overrun', 'plain watch after compaction');

    // the timer keeps compacting: wait (bounded) until it removed the next write's event too
    await state.create(Note.create('c', { text: 'c' }, { namespace: ns }));
    const head = state.head;
    const deadline = Date.now() + 10_000;
    while (state.floor < head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(state.floor).toBe(head);
    const stale = new EventRecorder(state.watchKind(Note.kind(ns), { startFromBookmark: bookmarkOf(noop!) }));
    const [err] = await stale.take(1);
    expect(err?.type === 'errored' && isInvalidBookmark(err.error)).toBe(true);
    boot.unsubscribe();
    await files.close(state);
  });
});

describe('SqliteState: close', () => {
  it('completes watches, refuses later calls with SqliteStateClosed, and releases the file', async () => {
    const state = files.open();
    const watch = new EventRecorder(state.watchKind(Note.kind()));
    await state.close();
    await watch.expectComplete();
    await expect(state.get(Note.pointer('x'))).rejects.toSatisfy((e: unknown) => isSqliteStateError(e, 'SqliteStateClosed'));
    const again = files.open({ path: state.path });
    await again.create(Note.create('x', { text: 'x' }));
    await files.close(again);
  });
});
