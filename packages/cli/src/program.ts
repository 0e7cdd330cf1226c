import { readFileSync } from 'node:fs';
import { RemoteState } from '@cosi-ts/api';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, explain } from './cli-errors.ts';
import { runGet } from './get-command.ts';
import { OUTPUT_FORMATS, type OutputFormat } from './output-format.ts';

export const DEFAULT_ENDPOINT = '127.0.0.1:50000';

export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** Aborted on Ctrl-C / SIGTERM: ends `get -w`. */
  readonly signal: AbortSignal;
}

interface GlobalOptions {
  endpoint: string;
  token?: string;
  tokenFile?: string;
  timeout: number;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number of milliseconds');
  return n;
}

function tokenOf(o: GlobalOptions): string | undefined {
  if (o.token !== undefined) return o.token;
  if (o.tokenFile === undefined) return undefined;
  try {
    return readFileSync(o.tokenFile, 'utf8').trim();
  } catch (e) {
    throw new CliError('TokenFile', `cannot read --token-file ${o.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Runs `cosictl` with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exit = 0;
  const program = new Command('cosictl')
    .description('Reads the resources of a cosi-ts node (cosi-node) over the COSI resource API.')
    .option('-e, --endpoint <host:port>', 'resource API of the node (machine.api.listen in its node.yaml)', process.env['COSICTL_ENDPOINT'] ?? DEFAULT_ENDPOINT)
    .option('--token <token>', 'bearer token (a line of the node\'s token file, without the role)')
    .option('--token-file <file>', 'read the bearer token from this file')
    .option('--timeout <ms>', 'limit of each call', positiveInt, 10_000)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', '\nExamples:\n  cosictl get members\n  cosictl --endpoint 127.0.0.1:50001 get affiliates -o yaml\n  cosictl get members -w\n  cosictl get rd            # every type and its aliases');

  program
    .command('get')
    .description('lists resources of a type (or one by id); -w then prints one row per change')
    .argument('<type>', 'type or alias, e.g. members, affiliates, rd (resolved from the node\'s resource definitions)')
    .argument('[id]', 'one resource')
    .option('-n, --namespace <ns>', 'namespace; default the type\'s own')
    .addOption(new Option('-o, --output <format>', 'table, yaml (documents separated by ---) or json (one document a line)').choices(OUTPUT_FORMATS).default('table'))
    .option('-w, --watch', 'after the current resources, print each change (created / updated / destroyed) until Ctrl-C', false)
    .action(async (type: string, id: string | undefined, opts: { namespace?: string; output: OutputFormat; watch: boolean }) => {
      const g = program.opts<GlobalOptions>();
      const token = tokenOf(g);
      const state = new RemoteState(g.endpoint, { callTimeoutMs: g.timeout, ...(token !== undefined ? { token } : {}) });
      try {
        await runGet(state, {
          type,
          ...(id !== undefined ? { id } : {}),
          ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
          output: opts.output,
          watch: opts.watch,
          signal: io.signal,
          write: io.out,
        });
      } catch (e) {
        io.err(`cosictl: ${explain(e, g.endpoint)}\n`);
        exit = 1;
      } finally {
        await state.close();
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    if (e instanceof CliError) {
      io.err(`cosictl: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return exit;
}
