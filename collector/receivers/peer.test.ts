// The connection link rule's input: the address each exporter connected from, kept per resource (loopback never).
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../store';
import { tempDir } from '../store/testing';
import { grpcPeerAddress, handleExport, IngestCounters, peerAddress } from './ingest';

const dir = tempDir();
const store = openStore({ path: dir.file('peers.db') });
afterAll(async () => {
  await store.close();
  dir.remove();
});

function body(traceId: string, podName: string): Uint8Array {
  const span = { traceId, spanId: '1'.repeat(16), name: 'GET /', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000001000000' };
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }, { key: 'host.name', value: { stringValue: podName } }] };
  return new TextEncoder().encode(JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ spans: [span] }] }] }));
}

const sink = { write: (rows: Parameters<typeof store.writeEncoded>[0]) => store.writeEncoded(rows), overloaded: () => false };

describe('exporter addresses', () => {
  it('reads a socket or gRPC peer as an address, IPv4-mapped as IPv4, and drops loopback', () => {
    expect(peerAddress('10.244.1.7')).toBe('10.244.1.7');
    expect(peerAddress('::ffff:10.244.1.7')).toBe('10.244.1.7');
    expect(peerAddress('fd00::7')).toBe('fd00::7');
    expect(peerAddress('127.0.0.1')).toBeUndefined();
    expect(peerAddress('::ffff:127.0.0.1')).toBeUndefined();
    expect(peerAddress('::1')).toBeUndefined();
    expect(peerAddress(undefined)).toBeUndefined();
    expect(grpcPeerAddress('ipv4:10.244.1.7:53012')).toBe('10.244.1.7');
    expect(grpcPeerAddress('ipv6:[fd00::7]:53012')).toBe('fd00::7');
    expect(grpcPeerAddress('ipv4:127.0.0.1:53012')).toBeUndefined();
    expect(grpcPeerAddress('unix:/tmp/otlp.sock')).toBeUndefined();
  });

  it('keeps each resource’s exporter addresses, most recent first, and gives them back with the resource', async () => {
    const counters = new IngestCounters();
    expect((await handleExport('traces', 'json', body('a'.repeat(32), 'api-1'), sink, counters, '10.244.1.7')).ok).toBe(true);
    expect((await handleExport('traces', 'json', body('b'.repeat(32), 'api-1'), sink, counters, '10.244.1.9')).ok).toBe(true);
    expect((await handleExport('traces', 'json', body('c'.repeat(32), 'api-2'), sink, counters)).ok).toBe(true);
    await store.flush();
    const [first] = store.reader.getTrace('a'.repeat(32));
    expect(first.resource.peers).toHaveLength(2);
    expect(new Set(first.resource.peers)).toEqual(new Set(['10.244.1.7', '10.244.1.9']));
    expect(store.reader.spanPlace('b'.repeat(32), '1'.repeat(16))?.resource.peers).toContain('10.244.1.9');
    // sent from loopback (no peer): nothing recorded, no field
    expect(store.reader.getTrace('c'.repeat(32))[0].resource.peers).toBeUndefined();
  });
});
