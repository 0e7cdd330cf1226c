import { Command, CommanderError } from 'commander';

export interface NodeCommandLine {
  readonly command: 'run';
  readonly configPath: string;
  readonly logLevel: string;
}

/** Parses `cosi-node --config node.yaml`. Throws CommanderError (help, usage) with its exit code. */
export function parseCommandLine(argv: readonly string[], out: { write: (s: string) => void } = process.stdout, err: { write: (s: string) => void } = process.stderr): NodeCommandLine {
  const program = new Command('cosi-node')
    .description('Runs one cosi-ts node: the runtime with every discovery controller and the resource API.')
    .requiredOption('-c, --config <file>', 'node.yaml (see docs/node.md); machine.stateDir is required')
    .option('--log-level <level>', 'pino log level: fatal, error, warn, info, debug, trace', process.env['LOG_LEVEL'] ?? 'info')
    .addHelpText('after', '\nExample:\n  cosi-node --config node.yaml\n\nSIGTERM or SIGINT stops the node (exit 0); the affiliate is left to expire.\nA node.yaml that cannot be used exits 2 with a message naming the file and key.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .allowExcessArguments(false);
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ config: string; logLevel: string }>();
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(o.logLevel)) {
    throw new CommanderError(2, 'cosi-node.invalidLogLevel', `cosi-node: --log-level must be one of ${levels.join(', ')}, got ${JSON.stringify(o.logLevel)}\n`);
  }
  return { command: 'run', configPath: o.config, logLevel: o.logLevel };
}
