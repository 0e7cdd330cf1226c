// How resources are printed: talosctl-like tables, YAML documents separated by `---`, or one JSON
// document a line (for scripts).
import { evaluateJsonPath, resourceToPlain, type Resource, type ResourceDefinitionSpec } from '@cosi-ts/resource';
import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'yaml' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'yaml', 'json'];

/** The event kinds `-w` shows; `null` for a plain listing. */
export type EventKind = 'created' | 'updated' | 'destroyed';

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(cell).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function headerOf(def: ResourceDefinitionSpec, watching: boolean): string[] {
  return [...(watching ? ['EVENT'] : []), 'NAMESPACE', 'TYPE', 'ID', 'VERSION', ...def.printColumns.map((c) => c.name.toUpperCase())];
}

export function rowOf(def: ResourceDefinitionSpec, r: Resource<unknown>, event?: EventKind): string[] {
  const m = r.metadata;
  const extra = def.printColumns.map((c) => {
    try {
      return cell(evaluateJsonPath(r.spec, c.jsonPath));
    } catch {
      return '';
    }
  });
  return [...(event !== undefined ? [event] : []), m.namespace, def.displayType, m.id, String(m.version), ...extra];
}

/** Left-aligned columns, three spaces apart, widths from the widest cell. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd()).join('\n') + '\n';
}

/** A watch row: columns padded to the header's widths (later rows cannot be known in advance). */
export function formatStreamRow(header: readonly string[], row: readonly string[]): string {
  return row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(Math.max((header[i] ?? '').length, 10)))).join('   ').trimEnd() + '\n';
}

export function formatJson(r: Resource<unknown>, event?: EventKind): string {
  const plain = resourceToPlain(r);
  return JSON.stringify(event === undefined ? plain : { event, ...plain }) + '\n';
}

export function formatYaml(r: Resource<unknown>, event?: EventKind): string {
  const plain = resourceToPlain(r);
  return '---\n' + stringify(event === undefined ? plain : { event, ...plain });
}
