// Test helper (not part of the public API): a Runtime over InMemoryState running given controllers.
import pino from 'pino';
import { Writable } from 'node:stream';
import { Runtime, type Controller, type QController } from '@cosi-ts/runtime';
import { InMemoryState } from '@cosi-ts/state';

export interface Harness {
  readonly state: InMemoryState;
  readonly rt: Runtime;
  /** Resolves with the first log record whose JSON contains `text`. */
  logged(text: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the first log record containing `text` written after this call. */
  nextLogged(text: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Every log record so far whose JSON contains `text`, oldest first. */
  logs(text: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

export function startRuntime(controllers: readonly (Controller | QController)[], state = new InMemoryState()): Harness {
  const lines: string[] = [];
  const waiters: { text: string; resolve: (r: Record<string, unknown>) => void }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const line = chunk.toString();
      lines.push(line);
      for (const w of [...waiters]) {
        if (line.includes(w.text)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(JSON.parse(line) as Record<string, unknown>);
        }
      }
      cb();
    },
  });
  const waitFor = (text: string, timeoutMs: number): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const w = {
        text,
        resolve: (r: Record<string, unknown>) => {
          clearTimeout(t);
          resolve(r);
        },
      };
      const t = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`no log line containing ${JSON.stringify(text)} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(w);
    });
  const rt = new Runtime(state, { logger: pino({ level: 'debug' }, sink), backoff: { initialMs: 20, maxMs: 100 } });
  for (const c of controllers) rt.register(c);
  const ac = new AbortController();
  const done = rt.run(ac.signal);
  return {
    state,
    rt,
    logged(text, timeoutMs = 5_000) {
      const found = lines.find((l) => l.includes(text));
      if (found !== undefined) return Promise.resolve(JSON.parse(found) as Record<string, unknown>);
      return waitFor(text, timeoutMs);
    },
    nextLogged(text, timeoutMs = 5_000) {
      return waitFor(text, timeoutMs);
    },
    logs(text) {
      return lines.filter((l) => l.includes(text)).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}
