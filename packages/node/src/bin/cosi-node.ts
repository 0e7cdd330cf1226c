#!/usr/bin/env node
import { logVerbosity, setLogVerbosity, setLogger } from '@grpc/grpc-js';
import { isNodeConfigError } from '@cosi-ts/cluster';
import { isApiConfigError } from '@cosi-ts/api';
import { CommanderError } from 'commander';
import { pino } from 'pino';
import { parseCommandLine } from '../command-line.ts';
import { NodeAgent } from '../node-agent.ts';
import { resetNode } from '../reset-node.ts';
import { isNodeAgentConfigError } from '../node-errors.ts';

/** Exit codes: 0 stopped by a signal, 1 failure while running, 2 unusable configuration or usage. */
async function main(): Promise<number> {
  let options;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 1 ? 2 : e.exitCode;
    throw e;
  }
  const logger = pino({ level: options.logLevel, base: { service: 'cosi-node' } });
  // grpc-js reports transport problems through its own logger: route them into the structured log.
  setLogger({ error: (...args: unknown[]) => logger.warn({ source: 'grpc-js' }, args.map(String).join(' ')) });
  setLogVerbosity(logVerbosity.ERROR);

  const configError = (e: unknown): boolean => isNodeConfigError(e) || isNodeAgentConfigError(e) || isApiConfigError(e);
  if (options.command === 'reset') {
    try {
      const outcome = await resetNode({ configPath: options.configPath, logger });
      process.stdout.write(`cosi-node reset: ${outcome.message}\n`);
      return outcome.result === 'unconfirmed' ? 1 : 0;
    } catch (e) {
      if (!configError(e)) throw e;
      process.stderr.write(`cosi-node: ${(e as Error).message}\n`);
      return 2;
    }
  }

  let agent: NodeAgent;
  try {
    agent = await NodeAgent.start({ configPath: options.configPath, logger });
  } catch (e) {
    if (configError(e)) {
      process.stderr.write(`cosi-node: ${(e as Error).message}\n`);
      return 2;
    }
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
      agent.stop().then(resolve, (e: unknown) => {
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
    process.stderr.write(`cosi-node: unexpected failure: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
