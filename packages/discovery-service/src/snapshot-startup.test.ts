// What the service does at start-up with snapshots it cannot use: a missing or wrong key, a path
// that is not a file. Real services on loopback, real files in a temp directory.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscoveryService, type SnapshotOptions } from './index.ts';
import { TestClient } from './test-harness.ts';

let dir: string;
let snap: string;
let keyFile: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-start-'));
  snap = join(dir, 'state.snapshot');
  keyFile = `${snap}.key`;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Logged {
  level: number;
  msg: string;
  file?: string;
  movedTo?: string;
}

async function run(snapshots: SnapshotOptions, body: (client: TestClient) => Promise<void> = async () => undefined): Promise<Logged[]> {
  const logs: Logged[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => logs.push(JSON.parse(l) as Logged) });
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, logger, snapshots });
  const client = new TestClient(await svc.start());
  try {
    await body(client);
  } finally {
    client.close();
    await svc.stop(); // the final save
  }
  return logs;
}

async function publishTwice(): Promise<void> {
  // Two saves: both <path> and <path>.prev hold good snapshots.
  await run({ path: snap }, (c) => c.update({ clusterId: 'c', affiliateId: 'old', affiliateData: Buffer.from('x'), ttlMs: 600_000 }));
  await run({ path: snap }, (c) => c.update({ clusterId: 'c', affiliateId: 'new', affiliateData: Buffer.from('y'), ttlMs: 600_000 }));
}

async function startError(snapshots: SnapshotOptions): Promise<Error & { code?: string }> {
  const svc = new DiscoveryService({ addr: '127.0.0.1:0', rateLimit: false, snapshots });
  const e = await svc.start().then(
    () => undefined,
    (err: unknown) => err as Error & { code?: string },
  );
  await svc.stop();
  if (e === undefined) throw new Error('the service started');
  return e;
}

function files(): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f)).toString('hex')]));
}

async function ids(snapshots: SnapshotOptions): Promise<string[]> {
  let out: string[] = [];
  await run(snapshots, async (c) => {
    out = (await c.list('c')).affiliates.map((a) => a.id);
  });
  return out;
}

describe('a snapshot the key at hand cannot decrypt', () => {
  it('missing default key: refuses to start, names key file, snapshot and fix, and touches nothing', async () => {
    await publishTwice();
    const key = readFileSync(keyFile);
    unlinkSync(keyFile); // an unmounted volume
    const before = files();

    const e = await startError({ path: snap });
    expect(e.code).toBe('snapshot-key-missing');
    expect(e.message).toContain(keyFile);
    expect(e.message).toContain(snap);
    expect(e.message).toContain('--snapshot-discard-undecryptable');
    expect(files()).toEqual(before); // no new key, nothing renamed or rewritten

    writeFileSync(keyFile, key, { mode: 0o600 });
    expect(await ids({ path: snap })).toEqual(['new', 'old']);
  });

  it('wrong key: refuses to start whether the key file is default or named, and keeps both snapshots', async () => {
    await publishTwice();
    const key = readFileSync(keyFile);
    writeFileSync(keyFile, randomBytes(32));
    const other = join(dir, 'other.key');
    writeFileSync(other, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const before = files();

    for (const snapshots of [{ path: snap }, { path: snap, keyFile: other }]) {
      const e = await startError(snapshots);
      expect(e.code).toBe('snapshot-key-wrong');
      expect(e.message).toContain(snapshots.keyFile ?? keyFile);
      expect(e.message).toContain(snap);
      expect(e.message).toContain('--snapshot-discard-undecryptable');
    }
    expect(files()).toEqual(before);

    writeFileSync(keyFile, key);
    expect(await ids({ path: snap })).toEqual(['new', 'old']);
  });

  it('a corrupt snapshot is still put aside, but a .prev under another key stops the start', async () => {
    await publishTwice();
    const bytes = readFileSync(snap);
    bytes[bytes.length - 40]! ^= 0xff; // checksum mismatch: truly corrupt
    writeFileSync(snap, bytes);
    const prev = readFileSync(`${snap}.prev`);
    writeFileSync(keyFile, randomBytes(32));
    const e = await startError({ path: snap });
    expect(e.code).toBe('snapshot-key-wrong');
    expect(e.message).toContain(`${snap}.prev`);
    expect(readFileSync(`${snap}.prev`).equals(prev)).toBe(true);
  });

  it('with discardUndecryptable: sets the snapshots aside (never deleted), makes a new key and starts empty', async () => {
    await publishTwice();
    unlinkSync(keyFile);
    const main = readFileSync(snap);
    const prev = readFileSync(`${snap}.prev`);

    const logs = await run({ path: snap, discardUndecryptable: true }, async (c) => {
      expect((await c.list('c')).affiliates).toEqual([]);
      await c.update({ clusterId: 'c', affiliateId: 'fresh', affiliateData: Buffer.from('z'), ttlMs: 600_000 });
    });
    expect(existsSync(keyFile)).toBe(true);
    const aside = logs.filter((l) => l.msg === 'snapshot set aside: the key cannot decrypt it');
    expect(aside.map((l) => l.file)).toEqual([snap, `${snap}.prev`]);
    expect(aside.every((l) => l.level === 50)).toBe(true);
    expect(readFileSync(aside[0]!.movedTo!).equals(main)).toBe(true);
    expect(readFileSync(aside[1]!.movedTo!).equals(prev)).toBe(true);
    expect(aside[0]!.movedTo).toMatch(/state\.snapshot\.undecryptable-\d+$/);
    // The next start has a key and a snapshot of its own.
    expect(await ids({ path: snap })).toEqual(['fresh']);
  });

  it('creates a key only when there is no snapshot at all', async () => {
    expect(await ids({ path: snap })).toEqual([]);
    expect(readFileSync(keyFile)).toHaveLength(32);
  });

  it('a file that is no encrypted snapshot needs no key: a Go plaintext snapshot is put aside as before', async () => {
    writeFileSync(snap, Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x63])); // the Go server's format
    const logs = await run({ path: snap });
    expect(logs.find((l) => l.msg === 'created a new snapshot key')).toBeDefined();
    expect(logs.find((l) => l.msg === 'snapshot not loaded')).toMatchObject({ file: snap, movedTo: expect.stringMatching(/\.corrupt-\d+$/) });
  });
});

describe('a snapshot path that is not a file', () => {
  it('refuses to start with one error naming the path, writes no temp file and keeps .prev', async () => {
    await publishTwice();
    rmSync(snap);
    mkdirSync(snap);
    writeFileSync(join(snap, 'inside'), 'x');
    const prev = readFileSync(`${snap}.prev`);

    const e = await startError({ path: snap });
    expect(e.code).toBe('not-a-file');
    expect(e.message).toBe(`snapshot ${snap}: not a regular file: it is a directory; move it away or choose another snapshot path`);
    expect(readdirSync(dir).sort()).toEqual(['state.snapshot', 'state.snapshot.key', 'state.snapshot.prev']);
    expect(readFileSync(`${snap}.prev`).equals(prev)).toBe(true);
  });

  it('the same for a directory at <path>.prev', async () => {
    await publishTwice();
    rmSync(`${snap}.prev`);
    mkdirSync(`${snap}.prev`);
    expect((await startError({ path: snap })).message).toContain(`snapshot ${snap}.prev: not a regular file: it is a directory`);
    expect(existsSync(`${snap}.tmp`)).toBe(false);
  });
});
