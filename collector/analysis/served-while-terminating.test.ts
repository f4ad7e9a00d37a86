import { describe, expect, it } from 'vitest';
import type { EndpointSliceState } from '../../common/cluster';
import { severityOf } from '../../common/findings';
import { SpanKind, StatusCode } from '../../common/telemetry';
import { setAttribute } from '../model';
import { assembleTrace } from './assemble';
import { findServedWhileTerminating } from './served-while-terminating';
import { HistoryBuilder, iso, pod } from './test-cluster';
import { resource, span } from './test-spans';

// test-spans times are ms after this epoch
const EPOCH = 1_750_000_000_000;
const DELETED = EPOCH + 10_000;

const slice = (ready: boolean, terminating: boolean): EndpointSliceState => ({
  service: 'api',
  ports: [],
  endpoints: [{ addresses: ['10.1.0.7'], ready, serving: true, terminating, pod: { name: 'api-1', uid: 'p1' } }],
});

function cluster(preStop?: string) {
  const terminating = pod({ deletionTimestamp: iso(DELETED + 30_000), deletionGracePeriodSeconds: 30, preStopHooks: preStop ? { app: preStop } : undefined, conditions: { Ready: { status: 'False' } } });
  return new HistoryBuilder()
    .add('Pod', 'shop', 'api-1', 'p1', EPOCH - 600_000, [
      [EPOCH - 600_000, pod()],
      [DELETED, terminating],
    ], DELETED + 30_000)
    .add('EndpointSlice', 'shop', 'api-x', 's1', EPOCH - 600_000, [
      [EPOCH - 600_000, slice(true, false)],
      // the endpoint controller marks it terminating 2 s after the deletion
      [DELETED + 2_000, slice(false, true)],
    ])
    .build();
}

/** A client in `web` calling `api`, the server span starting at `serverStart` ms after the epoch. */
function call(id: string, serverStart: number, outcome: { serverStatus?: number; clientError?: boolean } = {}) {
  const client = span({ id: `${id}1`, trace: id.repeat(32).slice(0, 32), kind: SpanKind.CLIENT, start: serverStart - 1, end: serverStart + 20, resource: resource('web', 'web-1') });
  const server = span({ id: `${id}2`, parent: `${id}1`, trace: id.repeat(32).slice(0, 32), name: 'GET /orders', kind: SpanKind.SERVER, start: serverStart, end: serverStart + 10, resource: resource('api', 'api-1') });
  if (outcome.serverStatus !== undefined) setAttribute(server.attributes, 'http.response.status_code', BigInt(outcome.serverStatus));
  if (outcome.clientError) client.status = { code: StatusCode.ERROR, message: 'connection reset by peer' };
  return assembleTrace([client, server]);
}

describe('served-while-terminating', () => {
  it('stays silent for requests before the deletion began', () => {
    expect(findServedWhileTerminating(call('a', 9_000), cluster())).toEqual([]);
  });

  it('reports a request that started after the deletion and failed at the caller, with what to check', () => {
    const [found] = findServedWhileTerminating(call('b', 11_500, { clientError: true }), cluster());
    expect(found).toMatchObject({ kind: 'served-while-terminating', subkind: 'failed', service: 'api', operation: 'GET /orders' });
    expect(severityOf(found)).toBe('error');
    expect(found.evidence).toMatchObject({
      pod: 'api-1',
      namespace: 'shop',
      linkedBy: 'host.name',
      // the API server's deadline: the delete request's time plus the grace period
      deletionRequested: iso(DELETED),
      deletionTimestamp: iso(DELETED + 30_000),
      gracePeriodSeconds: 30,
      startedAfterDeletionMs: 1500,
      endpoint: 'still listed as ready',
      preStop: 'none',
      failure: 'caller error: connection reset by peer',
    });
  });

  it('calls a request that still succeeded a near miss, and tells whether the endpoint was already terminating', () => {
    const [found] = findServedWhileTerminating(call('c', 13_000), cluster('exec sleep 5'));
    expect(found.subkind).toBe('near-miss');
    expect(severityOf(found)).toBe('warning');
    expect(found.evidence).toMatchObject({ endpoint: 'listed as serving and terminating', preStop: 'app: exec sleep 5' });
  });

  it('counts a 5xx the server answered as a failure', () => {
    const [found] = findServedWhileTerminating(call('d', 12_000, { serverStatus: 503 }), cluster());
    expect(found.subkind).toBe('failed');
    expect(found.evidence.failure).toBe('answered HTTP 503');
  });

  it('dates the deletion from the pod’s deletionTimestamp even when the watch reported it seconds late', () => {
    const terminating = pod({ deletionTimestamp: iso(DELETED + 30_000), deletionGracePeriodSeconds: 30 });
    const late = new HistoryBuilder()
      .add('Pod', 'shop', 'api-1', 'p1', EPOCH - 600_000, [
        [EPOCH - 600_000, pod()],
        [DELETED + 3_000, terminating],
      ])
      .build();
    const [found] = findServedWhileTerminating(call('f', 11_500), late);
    expect(found).toMatchObject({ subkind: 'near-miss', evidence: { deletionRequested: iso(DELETED), startedAfterDeletionMs: 1500 } });
  });

  it('says nothing about spans it cannot tie to a pod', () => {
    const trace = call('e', 12_000);
    for (const s of trace.spans) s.resource = resource(s.resource.attributes['service.name'] as string);
    expect(findServedWhileTerminating(trace, cluster())).toEqual([]);
  });
});
