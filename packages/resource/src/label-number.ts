const pattern = /^(-?\d+)\s*(.*)$/s;
const binary: Readonly<Record<string, bigint>> = { ki: 10n, mi: 20n, gi: 30n, ti: 40n, pi: 50n };
const decimal: Readonly<Record<string, bigint>> = { k: 3n, m: 6n, g: 9n, t: 12n, p: 15n };

/**
 * A label value as a number, specs/state.md §3.4: trimmed; optional `-` and digits; optional spaces; then
 * nothing, a binary unit by its first two letters (`Ki`…`Pi`), else a decimal unit by its first letter
 * (`k m g t p`, so `m` is mega), any case, the rest ignored (`10kg` = 10000). `undefined` when unparsable.
 */
export function parseLabelNumber(s: string): bigint | undefined {
  const m = pattern.exec(s.trim());
  if (!m) return undefined;
  const n = BigInt(m[1] as string);
  const unit = (m[2] as string).toLowerCase();
  if (unit === '') return n;
  const bin = binary[unit.slice(0, 2)];
  if (bin !== undefined) return n << bin;
  const dec = decimal[unit.slice(0, 1)];
  return dec === undefined ? undefined : n * 10n ** dec;
}
