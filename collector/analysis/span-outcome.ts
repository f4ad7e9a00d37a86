// What the cluster detectors read off a span: whether it failed (and why, in a few words) and, for a CLIENT
// span, the IP address it called.
import { SpanKind, StatusCode } from '../../common/telemetry';
import type { Span } from '../model';

/** Why a span failed, in a few words, or undefined if it did not: error status, a 5xx, a gRPC error or an error.type. */
export function failureOf(span: Span): string | undefined {
  const a = span.attributes;
  const who = span.kind === SpanKind.CLIENT ? 'caller got' : 'answered';
  const grpc = a['rpc.grpc.status_code'];
  if (grpc !== undefined) {
    const code = Number(grpc);
    if (GRPC_SERVER_FAULTS[code]) return `${who} gRPC ${GRPC_SERVER_FAULTS[code]}`;
  } else {
    const status = Number(a['http.response.status_code'] ?? a['http.status_code'] ?? NaN);
    if (status >= 500) return `${who} HTTP ${status}`;
  }
  if (span.status.code === StatusCode.ERROR) {
    const errorType = a['error.type'];
    const why = typeof errorType === 'string' ? errorType : span.status.message;
    return `${span.kind === SpanKind.CLIENT ? 'caller' : 'server'} error${why ? `: ${why}` : ''}`;
  }
  return undefined;
}

/** The gRPC codes that say the server failed rather than answered (otelgrpc marks these server spans as errors). */
const GRPC_SERVER_FAULTS: Record<number, string> = {
  2: 'UNKNOWN',
  4: 'DEADLINE_EXCEEDED',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
};

/**
 * The IP address a CLIENT span called: `network.peer.address` (older: `net.sock.peer.addr`, `net.peer.ip`), or
 * `server.address` (`net.peer.name`) when it is an IP literal. Undefined when the span names none.
 */
export function peerAddressOf(span: Span): string | undefined {
  const a = span.attributes;
  for (const key of ['network.peer.address', 'net.sock.peer.addr', 'net.peer.ip', 'server.address', 'net.peer.name']) {
    const v = a[key];
    if (typeof v === 'string' && isIpLiteral(v)) return v.startsWith('[') ? v.slice(1, -1) : v;
  }
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^\[?[0-9a-fA-F:]*:[0-9a-fA-F:.]*\]?$/;

export function isIpLiteral(text: string): boolean {
  return IPV4.test(text) || (text.includes(':') && IPV6.test(text));
}
