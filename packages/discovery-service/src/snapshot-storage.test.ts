import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Snapshot, type SnapshotAffiliate } from '@cosi-ts/discovery-api';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterStore } from './cluster-store.ts';
import { isSnapshotError } from './snapshot-error.ts';
import { openSnapshot, sealSnapshot } from './snapshot-file-format.ts';
import { loadSnapshotKey } from './snapshot-key.ts';
import { ServiceMetrics } from './service-metrics.ts';
import { SnapshotStorage } from './snapshot-storage.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-snap-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Logged {
  level: number;
  msg: string;
  cause?: string;
  file?: string;
  dropped?: number;
}

function setup(key: Buffer, t: { now: number }): { store: ClusterStore; storage: SnapshotStorage; logs: Logged[]; metrics: ServiceMetrics } {
  const logs: Logged[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Logged) });
  const store = new ClusterStore({ now: () => t.now });
  const metrics = new ServiceMetrics(new Registry(), () => store.stats(), { storage: true, defaultMetrics: false });
  const storage = new SnapshotStorage({ path: join(dir, 'state.snapshot'), key, keyFile: join(dir, 'state.snapshot.key'), logger, metrics, now: () => t.now });
  return { store, storage, logs, metrics };
}

describe('snapshot file format', () => {
  it('round-trips and detects tampering, a wrong key and foreign files', () => {
    const key = randomBytes(32);
    const sealed = sealSnapshot(Buffer.from('hello'), key);
    expect(sealed.subarray(0, 8).toString('latin1')).toBe('COSIDSS\x01');
    expect(sealed.length).toBe(8 + 12 + 4 + 5 + 16 + 32);
    expect(openSnapshot(sealed, key, 'f').toString()).toBe('hello');
    const flipped = Buffer.from(sealed);
    flipped[30]! ^= 1;
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isSnapshotError(e) ? e.code : String(e);
      }
      return undefined;
    };
    expect(code(() => openSnapshot(flipped, key, 'f'))).toBe('checksum-mismatch');
    expect(code(() => openSnapshot(sealed, randomBytes(32), 'f'))).toBe('decryption-failed');
    expect(code(() => openSnapshot(Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x63]), key, 'f'))).toBe('go-plaintext');
    expect(code(() => openSnapshot(Buffer.from('garbage!garbage!'), key, 'f'))).toBe('bad-magic');
  });
});

describe('SnapshotStorage', () => {
  it('keeps remaining TTLs across a restart: downtime does not count', async () => {
    const key = randomBytes(32);
    const t = { now: 1_000_000 };
    const a = setup(key, t);
    a.store.update('c1', { affiliateId: 'n1', data: Buffer.from('d1'), endpoints: [Buffer.from('e1')], ttlMs: 60_000 });
    // A data-less update extends the touch expiry too (spec §3.2 step 6).
    a.store.update('c1', { affiliateId: 'n1', data: undefined, endpoints: [Buffer.from('e2')], ttlMs: 120_000 });
    a.store.update('c2', { affiliateId: 'n2', data: Buffer.from('d2'), endpoints: [], ttlMs: 1000 });
    t.now += 10_000; // n2 has expired by the time of the snapshot: omitted
    const saved = await a.storage.save(a.store);
    expect(saved).toMatchObject({ clusters: 1, affiliates: 1, endpoints: 2 });
    expect(statSync(join(dir, 'state.snapshot')).mode & 0o777).toBe(0o600);

    t.now += 3_600_000; // an hour of downtime
    const b = setup(key, t);
    expect(await b.storage.load(b.store)).toMatchObject({ clusters: 1, affiliates: 1, endpoints: 2 });
    expect(b.store.inspect('c1')).toEqual([
      { id: 'n1', data: Buffer.from('d1'), endpoints: [Buffer.from('e1'), Buffer.from('e2')], touchExpiry: t.now + 110_000, endpointExpiries: [t.now + 50_000, t.now + 110_000] },
    ]);
    expect(b.store.inspect('c2')).toBeUndefined();
    const metricText = await b.metrics.registry.getSingleMetricAsString('discovery_storage_operations_total');
    expect(metricText).toContain('discovery_storage_operations_total{operation="load",status="success"} 1');
  });

  it('keeps the previous snapshot; a flipped byte is named, put aside, and .prev is loaded', async () => {
    const key = randomBytes(32);
    const t = { now: 1_000_000 };
    const a = setup(key, t);
    a.store.update('c', { affiliateId: 'old', data: Buffer.from('x'), endpoints: [], ttlMs: 600_000 });
    await a.storage.save(a.store);
    a.store.update('c', { affiliateId: 'new', data: Buffer.from('y'), endpoints: [], ttlMs: 600_000 });
    await a.storage.save(a.store);
    const path = join(dir, 'state.snapshot');
    const bytes = readFileSync(path);
    bytes[bytes.length - 40]! ^= 0xff;
    writeFileSync(path, bytes);

    const b = setup(key, t);
    const loaded = await b.storage.load(b.store);
    expect(loaded?.file).toBe(`${path}.prev`);
    expect(b.store.list('c').map((x) => x.id)).toEqual(['old']);
    const err = b.logs.find((l) => l.msg === 'snapshot not loaded');
    expect(err?.cause).toBe(`snapshot ${path}: checksum mismatch`);
    expect(readdirSync(dir).some((f) => f.startsWith('state.snapshot.corrupt-'))).toBe(true);

    // The next save must not overwrite the last good snapshot with nothing to fall back on.
    await b.storage.save(b.store);
    expect(readdirSync(dir).filter((f) => !f.startsWith('state.snapshot.corrupt-')).sort()).toEqual(['state.snapshot', 'state.snapshot.prev']);
  });

  it('refuses a snapshot the key cannot decrypt, and leaves it where it is', async () => {
    const t = { now: 1_000_000 };
    const a = setup(randomBytes(32), t);
    a.store.update('c', { affiliateId: 'n', data: Buffer.from('x'), endpoints: [], ttlMs: 600_000 });
    await a.storage.save(a.store);
    const path = join(dir, 'state.snapshot');
    const before = readFileSync(path);
    const b = setup(randomBytes(32), t);
    await expect(b.storage.load(b.store)).rejects.toMatchObject({ name: 'SnapshotKeyError', code: 'snapshot-key-wrong', file: join(dir, 'state.snapshot.key'), snapshot: path });
    expect(b.store.stats().affiliates).toBe(0);
    expect(readdirSync(dir)).toEqual(['state.snapshot']);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses to save over a directory, without writing a temp file', async () => {
    const t = { now: 1_000_000 };
    const a = setup(randomBytes(32), t);
    a.store.update('c', { affiliateId: 'n', data: Buffer.from('x'.repeat(2000)), endpoints: [], ttlMs: 600_000 });
    const path = join(dir, 'state.snapshot');
    writeFileSync(`${path}.prev`, 'the previous snapshot');
    mkdirSync(path);
    await expect(a.storage.save(a.store)).rejects.toMatchObject({ code: 'not-a-file', file: path });
    expect(readdirSync(dir).sort()).toEqual(['state.snapshot', 'state.snapshot.prev']);
    expect(readFileSync(`${path}.prev`, 'utf8')).toBe('the previous snapshot');
  });

  it('leaves earlier files intact when a save fails', async () => {
    const t = { now: 1_000_000 };
    const a = setup(randomBytes(32), t);
    a.store.update('c', { affiliateId: 'n', data: Buffer.from('x'), endpoints: [], ttlMs: 600_000 });
    await a.storage.save(a.store);
    const before = readFileSync(join(dir, 'state.snapshot'));
    const broken = new SnapshotStorage({ path: join(dir, 'missing-dir', 'state.snapshot'), key: randomBytes(32), keyFile: 'k', logger: pino({ level: 'silent' }), metrics: a.metrics });
    await expect(broken.save(a.store)).rejects.toThrow();
    expect(readFileSync(join(dir, 'state.snapshot')).equals(before)).toBe(true);
  });
});

describe('snapshot key', () => {
  const logger = pino({ level: 'silent' });

  it('creates a missing default key with mode 0600, then reads it back', async () => {
    const path = join(dir, 'k');
    const key = await loadSnapshotKey(path, { createIfMissing: true, logger });
    expect(key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await loadSnapshotKey(path, { createIfMissing: true, logger })).equals(key)).toBe(true);
  });

  it('warns about a key readable by group or others, and still uses it', async () => {
    const logs: Logged[] = [];
    const capture = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Logged) });
    const key = randomBytes(32);
    writeFileSync(join(dir, 'open'), key, { mode: 0o644 });
    expect((await loadSnapshotKey(join(dir, 'open'), { createIfMissing: false, logger: capture })).equals(key)).toBe(true);
    expect(logs.find((l) => l.msg === 'snapshot key is readable by group or others')).toMatchObject({ level: 40 });
    writeFileSync(join(dir, 'closed'), key, { mode: 0o600 });
    logs.length = 0;
    await loadSnapshotKey(join(dir, 'closed'), { createIfMissing: false, logger: capture });
    expect(logs).toEqual([]);
  });

  it('accepts base64 with a newline, refuses a missing explicit key or a wrong length', async () => {
    const key = randomBytes(32);
    writeFileSync(join(dir, 'b64'), `${key.toString('base64')}\n`, { mode: 0o600 });
    expect((await loadSnapshotKey(join(dir, 'b64'), { createIfMissing: false, logger })).equals(key)).toBe(true);
    await expect(loadSnapshotKey(join(dir, 'none'), { createIfMissing: false, logger })).rejects.toThrow(/cannot be read/);
    writeFileSync(join(dir, 'short'), 'c2hvcnQ=\n');
    await expect(loadSnapshotKey(join(dir, 'short'), { createIfMissing: false, logger })).rejects.toThrow(/32 raw bytes/);
  });
});

describe('loading a hostile snapshot', () => {
  it('drops entries over the protocol limits with a warning and keeps the rest', async () => {
    const key = randomBytes(32);
    const t = { now: 1_000_000 };
    const ok = (id: string): SnapshotAffiliate => ({ id, data: Buffer.from('d'), ttlMs: 60_000n, endpoints: [{ blob: Buffer.from('e'), ttlMs: 60_000n }] });
    const plaintext = Snapshot.encode({
      takenAtUnixMs: 0n,
      clusters: [
        { id: 'x'.repeat(257), affiliates: [ok('in-a-bad-cluster')] },
        {
          id: 'c',
          affiliates: [
            ok('good'),
            ok(''),
            ok('a'.repeat(257)),
            { ...ok('big-data'), data: Buffer.alloc(2049) },
            { ...ok('long-ttl'), ttlMs: 30n * 60_000n + 1n },
            { ...ok('long-endpoint-ttl'), endpoints: [{ blob: Buffer.from('e'), ttlMs: 30n * 60_000n + 1n }] },
            { ...ok('big-endpoint'), endpoints: [{ blob: Buffer.alloc(33), ttlMs: 1000n }] },
            { ...ok('many-endpoints'), endpoints: Array.from({ length: 65 }, (_, i) => ({ blob: Buffer.from([i]), ttlMs: 1000n })) },
            // Expired endpoints are just gone; a repeated blob is kept once, with its longest TTL.
            { ...ok('expired-and-repeated'), endpoints: [{ blob: Buffer.from('old'), ttlMs: 0n }, { blob: Buffer.from('r'), ttlMs: 5n }, { blob: Buffer.from('r'), ttlMs: 9n }] },
          ],
        },
        { id: 'full', affiliates: Array.from({ length: 1025 }, (_, i) => ok(`n${i}`)) },
      ],
    }).finish();
    writeFileSync(join(dir, 'state.snapshot'), sealSnapshot(plaintext, key));
    const b = setup(key, t);
    expect(await b.storage.load(b.store)).toMatchObject({ clusters: 2, affiliates: 1024 + 2 });
    expect(b.store.list('c').map((a) => a.id)).toEqual(['expired-and-repeated', 'good']);
    expect(b.store.inspect('c')?.[0]).toMatchObject({ endpoints: [Buffer.from('r')], endpointExpiries: [t.now + 9] });
    expect(b.store.list('full')).toHaveLength(1024);
    expect(b.logs.find((l) => l.msg === 'snapshot entries over the protocol limits were dropped')).toMatchObject({ level: 40, dropped: 1 + 7 + 1 });
  });
});
