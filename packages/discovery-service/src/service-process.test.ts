import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './test-harness.ts';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'ds-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LogLine {
  msg: string;
  addr?: string;
  [k: string]: unknown;
}

interface Child {
  proc: ChildProcess;
  lines: LogLine[];
  exited: Promise<number | null>;
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// The TypeScript source, not bin/discovery-service.js: the shim prefers dist/, which may be stale.
const FROM_SOURCE = ['--conditions=@cosi-ts/source', '--import', 'tsx', 'src/bin/discovery-service.ts'];

function spawnService(args: string[], entry: string[] = FROM_SOURCE): Child {
  const proc = spawn(
    process.execPath,
    [...entry, '--addr', '127.0.0.1:0', '--landing-addr', '', '--metrics-addr', '', ...args],
    { cwd: pkgDir, env: { ...process.env, LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(proc);
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      lines.push({ msg: line });
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    exited,
    waitFor: (pred, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(pred);
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching log line within ${timeoutMs} ms; got: ${lines.map((l) => l.msg).join(' | ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

async function publish(addr: string, n: number): Promise<void> {
  const client = new TestClient(addr);
  try {
    for (let i = 0; i < n; i++) {
      await client.update({ clusterId: 'cluster', affiliateId: `node-${i}`, affiliateData: Buffer.from(`data-${i}`), affiliateEndpoints: [Buffer.from([i])], ttlMs: 600_000 });
    }
  } finally {
    client.close();
  }
}

async function listIds(addr: string): Promise<string[]> {
  const client = new TestClient(addr);
  try {
    return (await client.list('cluster')).affiliates.map((a) => `${a.id}=${a.data.toString()}`);
  } finally {
    client.close();
  }
}

const expected = (n: number): string[] => Array.from({ length: n }, (_, i) => `node-${i}=data-${i}`).sort();

describe('discovery-service process', () => {
  it('restarts from the snapshot taken at SIGTERM with nothing lost', async () => {
    const snap = join(dir, 'graceful', 'state.snapshot');
    const first = spawnService(['--snapshot-path', snap, '--snapshot-interval', '10m']);
    const { addr } = await first.waitFor((l) => l.msg === 'discovery service started');
    await publish(addr!, 5);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.lines.some((l) => l.msg === 'snapshot saved')).toBe(true);

    const second = spawnService(['--snapshot-path', snap]);
    const started = await second.waitFor((l) => l.msg === 'discovery service started');
    expect(second.lines.find((l) => l.msg === 'snapshot loaded')).toMatchObject({ affiliates: 5, endpoints: 5 });
    expect(await listIds(started.addr!)).toEqual(expected(5));
    second.proc.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('restarts after kill -9 from the last periodic snapshot', async () => {
    const snap = join(dir, 'killed', 'state.snapshot');
    const first = spawnService(['--snapshot-path', snap, '--snapshot-interval', '200ms']);
    const { addr } = await first.waitFor((l) => l.msg === 'discovery service started');
    await publish(addr!, 7);
    const afterPublish = first.lines.length;
    // A periodic save that began after the last update holds all of it.
    await first.waitFor((l) => l.msg === 'snapshot saved' && first.lines.indexOf(l) >= afterPublish && l['affiliates'] === 7);
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = spawnService(['--snapshot-path', snap]);
    const started = await second.waitFor((l) => l.msg === 'discovery service started');
    expect(await listIds(started.addr!)).toEqual(expected(7));
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('names a corrupt snapshot, puts it aside and starts from the previous one', async () => {
    const snap = join(dir, 'corrupt', 'state.snapshot');
    const first = spawnService(['--snapshot-path', snap, '--snapshot-interval', '200ms']);
    const { addr } = await first.waitFor((l) => l.msg === 'discovery service started');
    await publish(addr!, 4);
    const afterPublish = first.lines.length;
    await first.waitFor((l) => l.msg === 'snapshot saved' && first.lines.indexOf(l) >= afterPublish && l['affiliates'] === 4);
    first.proc.kill('SIGTERM'); // the final save moves the periodic one to .prev
    expect(await first.exited).toBe(0);
    const bytes = readFileSync(snap);
    bytes[bytes.length - 50]! ^= 0x01;
    writeFileSync(snap, bytes);

    const second = spawnService(['--snapshot-path', snap]);
    const started = await second.waitFor((l) => l.msg === 'discovery service started');
    expect(second.lines.find((l) => l.msg === 'snapshot not loaded')).toMatchObject({ level: 50, file: snap, cause: `snapshot ${snap}: checksum mismatch` });
    expect(second.lines.find((l) => l.msg === 'snapshot loaded')).toMatchObject({ file: `${snap}.prev`, affiliates: 4 });
    expect(readdirSync(dirname(snap)).some((f) => f.startsWith('state.snapshot.corrupt-'))).toBe(true);
    expect(await listIds(started.addr!)).toEqual(expected(4));
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start when the snapshot key is gone, and starts empty only with --snapshot-discard-undecryptable', async () => {
    const snap = join(dir, 'lost-key', 'state.snapshot');
    const first = spawnService(['--snapshot-path', snap]);
    const { addr } = await first.waitFor((l) => l.msg === 'discovery service started');
    await publish(addr!, 3);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    rmSync(`${snap}.key`); // an unmounted volume
    const saved = readFileSync(snap);

    const refused = spawnService(['--snapshot-path', snap]);
    const fatal = await refused.waitFor((l) => l.msg === 'start-up failed');
    expect(await refused.exited).toBe(1);
    const err = fatal['err'] as { code: string; message: string };
    expect(err.code).toBe('snapshot-key-missing');
    expect(err.message).toContain(`snapshot key ${snap}.key: is missing, but snapshot ${snap} exists`);
    expect(err.message).toContain('--snapshot-discard-undecryptable');
    expect(refused.lines.some((l) => l.msg === 'created a new snapshot key')).toBe(false);
    expect(readdirSync(dirname(snap))).toEqual(['state.snapshot']);
    expect(readFileSync(snap).equals(saved)).toBe(true);

    const discarding = spawnService(['--snapshot-path', snap, '--snapshot-discard-undecryptable']);
    const started = await discarding.waitFor((l) => l.msg === 'discovery service started');
    expect(discarding.lines.find((l) => l.msg === 'snapshot set aside: the key cannot decrypt it')).toMatchObject({ file: snap });
    expect(await listIds(started.addr!)).toEqual([]);
    discarding.proc.kill('SIGTERM');
    expect(await discarding.exited).toBe(0);
    expect(readdirSync(dirname(snap)).filter((f) => f.startsWith('state.snapshot.undecryptable-'))).toHaveLength(1);
  });

  it('refuses to start on bad flags or an invalid key, with a clear message', async () => {
    const bad = spawnService(['--certificate-path', 'only-cert.pem'], ['bin/discovery-service.js']); // the shim `npx` runs
    expect(await bad.exited).not.toBe(0);
    const zero = spawnService(['--gc-interval', '0s']);
    expect(await zero.exited).not.toBe(0);
    const keyFile = join(dir, 'bad.key');
    writeFileSync(keyFile, 'not a key\n');
    const badKey = spawnService(['--snapshot-path', join(dir, 'bk', 's'), '--snapshot-key-file', keyFile]);
    const fatal = await badKey.waitFor((l) => l.msg === 'start-up failed');
    expect(JSON.stringify(fatal)).toContain('must hold 32 raw bytes or their standard base64');
    expect(await badKey.exited).toBe(1);
  });
});
