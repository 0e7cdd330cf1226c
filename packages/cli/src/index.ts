// Public API of @cosi-ts/cli: the cosictl program, callable in-process.
export { runCli, DEFAULT_ENDPOINT } from './program.ts';
export type { CliIo } from './program.ts';
export { runGet } from './get-command.ts';
export type { GetOptions } from './get-command.ts';
export { CliError, explain } from './cli-errors.ts';
export { formatTable, formatJson, formatYaml, headerOf, rowOf, OUTPUT_FORMATS } from './output-format.ts';
export type { OutputFormat, EventKind } from './output-format.ts';
export { fetchDefinitions, resolveType } from './resolve-type.ts';
