#!/usr/bin/env node
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { runCli } from '../program.ts';

// grpc-js would print reconnect noise to stderr; cosictl explains failures itself.
setLogVerbosity(logVerbosity.NONE);

// `cosictl get ... | head` closes the pipe early: that is the reader's choice, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  signal: stop.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`cosictl: unexpected failure: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
