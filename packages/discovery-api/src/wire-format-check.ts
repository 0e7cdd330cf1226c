/** Bytes that are not a protobuf encoding Go's runtime would accept; `detail` says what and where. */
export class MalformedRequestError extends Error {
  readonly code = 'malformed-request';
  /** What is wrong, e.g. `field number 0 at byte 12`. */
  readonly detail: string;

  constructor(detail: string) {
    super(`request is not valid protobuf: ${detail}`);
    this.name = 'MalformedRequestError';
    this.detail = detail;
  }
}

/** The message-typed fields of a message (field number → their schema), so they are checked inside too. */
export interface WireSchema {
  readonly messages?: Readonly<Record<number, WireSchema>>;
}

const MAX_FIELD_NUMBER = 2 ** 29 - 1;
// Unknown groups may nest; bufbuild's reader stops at the same depth.
const MAX_GROUP_DEPTH = 100;

// The value of the varint read last: one number, not an object per read (this runs per request).
// Above 2^53 it is inexact, which is harmless: every use compares it with a far smaller bound.
let varint = 0;

function fail(what: string, at: number): never {
  throw new MalformedRequestError(`${what} at byte ${at}`);
}

/** Reads a varint at `pos` into `varint`; returns the position after it. At most 10 bytes, ≤ 64 bits. */
function readVarint(buf: Uint8Array, pos: number, end: number): number {
  const start = pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) fail('truncated varint', start);
    const b = buf[pos++]!;
    // The 10th byte holds bit 63 only (Go: "variable length integer overflow").
    if (i === 9 && b > 1) fail('varint longer than 64 bits', start);
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      varint = value;
      return pos;
    }
    scale *= 128;
  }
  return fail('varint longer than 64 bits', start);
}

/**
 * Walks the fields in `[pos, end)`; `group` > 0: inside an unknown group of that field number, which
 * must end with its own end-group tag (returns the position after it). Values are skipped, except
 * message fields of the schema, which are walked too.
 */
function checkFields(buf: Uint8Array, pos: number, end: number, schema: WireSchema | undefined, group: number, depth: number): number {
  while (pos < end) {
    const at = pos;
    const b = buf[pos]!;
    if (b < 0x80) {
      varint = b; // a one-byte tag: nearly every field
      pos++;
    } else {
      pos = readVarint(buf, pos, end);
    }
    const field = Math.floor(varint / 8);
    const wireType = varint % 8;
    if (field === 0) fail('field number 0', at);
    if (field > MAX_FIELD_NUMBER) fail('field number over 2^29 - 1', at);
    switch (wireType) {
      case 0:
        pos = readVarint(buf, pos, end);
        break;
      case 1:
        if (end - pos < 8) fail('truncated fixed64', at);
        pos += 8;
        break;
      case 2: {
        pos = readVarint(buf, pos, end);
        if (varint > end - pos) fail('length past the end of the message', at);
        const length = varint;
        const nested = schema?.messages?.[field];
        if (nested !== undefined) checkFields(buf, pos, pos + length, nested, 0, depth + 1);
        pos += length;
        break;
      }
      case 3:
        if (depth >= MAX_GROUP_DEPTH) fail('groups nested too deep', at);
        pos = checkFields(buf, pos, end, undefined, field, depth + 1);
        break;
      case 4:
        if (group === 0) fail('end-group tag outside a group', at);
        if (field !== group) fail(`end-group tag of field ${field} in a group of field ${group}`, at);
        return pos;
      case 5:
        if (end - pos < 4) fail('truncated fixed32', at);
        pos += 4;
        break;
      default:
        fail(`wire type ${wireType}`, at);
    }
  }
  if (group !== 0) fail(`group of field ${group} not ended`, end);
  return pos;
}

/**
 * Throws MalformedRequestError unless `bytes` is a protobuf encoding that Go's runtime accepts:
 * field numbers 1..2^29-1, wire types 0-5, varints of at most 10 bytes and 64 bits, lengths
 * within the message, groups closed by their own end-group tag, no end-group tag outside one, and the
 * same inside every message-typed field of `schema`. One pass over the tags; values are not copied.
 * (UTF-8 of string fields is the decoder's to check.)
 */
export function checkWireFormat(bytes: Uint8Array, schema: WireSchema): void {
  checkFields(bytes, 0, bytes.length, schema, 0, 0);
}
