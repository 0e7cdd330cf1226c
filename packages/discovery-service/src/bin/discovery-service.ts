#!/usr/bin/env node
import { logVerbosity, setLogVerbosity, setLogger } from '@grpc/grpc-js';
import { CommanderError } from 'commander';
import { pino } from 'pino';
import { parseCommandLine } from '../command-line.ts';
import { DiscoveryService } from '../discovery-service.ts';

const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info', base: { service: 'discovery-service' } });

// grpc-js reports transport problems through its own logger: route them into the structured log.
setLogger({
  error: (...args: unknown[]) => logger.warn({ source: 'grpc-js' }, args.map(String).join(' ')),
});
setLogVerbosity(logVerbosity.ERROR);

async function main(): Promise<number> {
  let options;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    console.error(`discovery-service: ${(e as Error).message}`);
    return 2;
  }
  const service = new DiscoveryService({ ...options, logger });
  try {
    await service.start();
  } catch (e) {
    logger.fatal({ err: e }, 'start-up failed');
    return 1;
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      service.stop().then(resolve, (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    logger.fatal({ err: e }, 'unexpected failure');
    process.exitCode = 1;
  },
);
