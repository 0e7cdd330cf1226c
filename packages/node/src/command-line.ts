import { Command, CommanderError } from 'commander';

export interface NodeCommandLine {
  /** `run` (the default) serves the node; `reset` leaves the cluster and forgets the identity. */
  readonly command: 'run' | 'reset';
  readonly configPath: string;
  readonly logLevel: string;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Parses `cosi-node [reset] --config node.yaml`. Throws CommanderError (help, usage) with its exit code. */
export function parseCommandLine(argv: readonly string[], out: { write: (s: string) => void } = process.stdout, err: { write: (s: string) => void } = process.stderr): NodeCommandLine {
  let result: NodeCommandLine | undefined;
  const configOption = ['-c, --config <file>', 'node.yaml (see docs/node.md); machine.stateDir is required'] as const;
  const levelOption = ['--log-level <level>', `pino log level: ${LEVELS.join(', ')}`, process.env['LOG_LEVEL'] ?? 'info'] as const;
  const finish = (command: NodeCommandLine['command'], o: { config?: string; logLevel: string }, cmd: Command): void => {
    if (o.config === undefined) cmd.error(`error: required option '-c, --config <file>' not specified`, { exitCode: 2, code: 'cosi-node.missingConfig' });
    if (!LEVELS.includes(o.logLevel)) cmd.error(`error: --log-level must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(o.logLevel)}`, { exitCode: 2, code: 'cosi-node.invalidLogLevel' });
    result = { command, configPath: o.config!, logLevel: o.logLevel };
  };
  const program = new Command('cosi-node')
    .description('Runs one cosi-ts node: the runtime with every discovery controller and the resource API.')
    .option(...configOption)
    .option(...levelOption)
    .addHelpText('after', '\nExamples:\n  cosi-node --config node.yaml\n  cosi-node reset --config node.yaml\n\nSIGTERM or SIGINT stops the node (exit 0); the affiliate is left to expire.\nA node.yaml that cannot be used exits 2 with a message naming the file and key.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .allowExcessArguments(false)
    // `cosi-node reset --config x`: options after `reset` belong to reset.
    .enablePositionalOptions()
    .action((o: { config?: string; logLevel: string }, cmd: Command) => finish('run', o, cmd));
  program
    .command('reset')
    .description('leaves the cluster: deletes this node\'s affiliate from the discovery service (waits up to 60 s for the confirmation), then removes node-identity.yaml')
    .option(...configOption)
    .option(...levelOption)
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .action((o: { config?: string; logLevel: string }, cmd: Command) => finish('reset', o, cmd));
  program.parse(argv, { from: 'user' });
  if (result === undefined) throw new CommanderError(2, 'cosi-node.noCommand', 'no command');
  return result;
}
