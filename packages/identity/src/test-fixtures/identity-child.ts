// Child process for the identity crash and race tests: loads (or creates) the identity of the
// state dir given in argv and reports it on stdout. Modes:
//   exit         print `ID <id> <created>` and exit
//   hang         print `ID <id> <created>`, then wait to be killed (crash before first use)
//   hang-on-link print `TMP` once the temp file is durable, then wait to be killed before the link
import { loadOrCreateNodeIdentity } from '../node-identity-file.ts';

const [stateDir, mode] = process.argv.slice(2);
if (stateDir === undefined || mode === undefined) throw new Error('usage: identity-child <stateDir> <mode>');

const hang = (): Promise<never> => new Promise(() => setInterval(() => undefined, 60_000));

const result = await loadOrCreateNodeIdentity(
  stateDir,
  mode === 'hang-on-link'
    ? { beforeLink: async () => { process.stdout.write('TMP\n'); await hang(); } }
    : {},
);
process.stdout.write(`ID ${result.nodeId} ${result.created}\n`);
if (mode === 'hang') await hang();
