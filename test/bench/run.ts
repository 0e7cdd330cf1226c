// `npm run bench -- [name...]`: runs the named benchmarks (all when none is named), prints a table
// per benchmark and writes bench-results/<name>.json. Benchmarks live beside this file as
// <name>.ts exporting `run(): Promise<BenchResult>`.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { BenchResult } from './bench-result.ts';

const here = dirname(fileURLToPath(import.meta.url));
const reserved = new Set(['run', 'bench-result', 'stats']);

async function available(): Promise<string[]> {
  const files = await readdir(here);
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .filter((n) => !reserved.has(n))
    .sort();
}

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

function printTable(r: BenchResult): void {
  const head = ['metric', 'value', 'unit', 'baseline', 'ratio', 'target', 'ok'];
  const rows = r.rows.map((x) => [
    x.metric,
    fmt(x.value),
    x.unit,
    fmt(x.baseline),
    x.baseline ? `${((x.value / x.baseline) * 100).toFixed(1)}%` : '',
    x.target ?? '',
    x.pass === undefined ? '' : x.pass ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(`\n## ${r.name}\n`);
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of rows) console.log(line(row));
  for (const x of r.rows) if (x.note) console.log(`- ${x.metric}: ${x.note}`);
}

const names = await available();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) {
  if (!names.includes(w)) {
    console.error(`unknown benchmark "${w}"; available: ${names.join(', ')}`);
    process.exit(2);
  }
}
await mkdir('bench-results', { recursive: true });
console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
let failed = false;
for (const name of wanted.length ? wanted : names) {
  const mod = (await import(join(here, `${name}.ts`))) as { run: () => Promise<BenchResult> };
  const result = await mod.run();
  printTable(result);
  failed ||= result.rows.some((x) => x.pass === false);
  await writeFile(join('bench-results', `${name}.json`), JSON.stringify({ ...result, at: new Date().toISOString(), node: process.version }, null, 2));
}
if (failed) console.log('\nSome targets were missed (marked NO).');
