// Regenerates src/gen/ from proto/ with buf and the local ts-proto plugin (offline, no protoc).
// Usage: node scripts/generate.mjs [--out <dir>]   (default: src/gen, replaced wholesale)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const outDir = outArg >= 0 ? resolve(process.argv[outArg + 1] ?? '') : join(pkgDir, 'src', 'gen');

// Resolve the tools through node's module lookup so the script works from the package or the root.
const require = createRequire(join(pkgDir, 'package.json'));
const binOf = (pkg, rel) => join(dirname(require.resolve(`${pkg}/package.json`)), rel);
const buf = [binOf('@bufbuild/buf', 'bin/buf'), binOf('@bufbuild/buf', 'bin/buf.exe')].find(existsSync);
const plugin = binOf('ts-proto', 'protoc-gen-ts_proto');
if (buf === undefined) throw new Error('generate: @bufbuild/buf binary not found');

// Options chosen so the output compiles under the repo's strict tsconfig (see README.md).
const opts = [
  'esModuleInterop=true',
  'importSuffix=.ts',
  'env=node',
  'forceLong=bigint',
  'unknownFields=true',
  'outputServices=grpc-js',
  'useExactTypes=true',
  'outputJsonMethods=true',
];

const template = {
  version: 'v2',
  plugins: [{ local: plugin, out: outDir, opt: opts, strategy: 'all' }],
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
execFileSync(buf, ['generate', 'proto', '--template', JSON.stringify(template)], {
  cwd: pkgDir,
  stdio: 'inherit',
  env: process.env,
});
