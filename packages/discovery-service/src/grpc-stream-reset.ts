import { constants, type Http2Stream } from 'node:http2';

function isHttp2Stream(v: unknown): v is Http2Stream {
  return typeof v === 'object' && v !== null && 'rstCode' in v && 'close' in v && typeof v.close === 'function';
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null && name in v ? (v as Record<string, unknown>)[name] : undefined;
}

/**
 * The HTTP/2 stream under a grpc-js server call. grpc-js has no public way to abort a call whose
 * buffered output the client never reads: a status is queued behind that output and never sent, so
 * the buffer stays pinned. We reach the stream through grpc-js internals (`call.call[.nextCall…].stream`,
 * 1.10–1.14); `undefined` if a future version moves it (a test of this package then fails).
 */
export function http2StreamOf(call: object): Http2Stream | undefined {
  let c: unknown = field(call, 'call');
  for (let depth = 0; depth < 8 && c !== undefined; depth++) {
    const s = field(c, 'stream');
    if (isHttp2Stream(s)) return s;
    c = field(c, 'nextCall');
  }
  return undefined;
}

/**
 * Resets the stream with ENHANCE_YOUR_CALM, which drops everything buffered for it at once; gRPC
 * clients (grpc-go, grpc-js) report that code as ResourceExhausted. Returns false if the stream was
 * not found.
 */
export function resetGrpcCall(call: object): boolean {
  const s = http2StreamOf(call);
  if (s === undefined) return false;
  if (!s.destroyed) s.close(constants.NGHTTP2_ENHANCE_YOUR_CALM);
  return true;
}
