import type { WireClusterConnect, WireClusterStatus, WireClusterWatch } from '../../../common/wire';
import { ClusterError } from '../../cluster';
import { InputError } from '../../errors';
import type { ApiContext, ClusterControl } from '../context';
import type { Handlers } from '../dispatch';
import { HttpError } from '../http';

/** A namespace name as Kubernetes allows it (an RFC 1123 label). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const NOT_WATCHED: WireClusterWatch = { connected: false, context: '', server: '', namespaces: [], streams: [] };

export const clusterHandlers = {
  clusterObject: (ctx, { params: { uid }, query }) => {
    const fingerprint = query.text('finding');
    const atMs = query.integer('atMs', 0, Number.MAX_SAFE_INTEGER);
    if (fingerprint !== undefined && atMs !== undefined) throw new InputError('give atMs or finding, not both', { field: 'finding' });
    const object = ctx.cluster.object(uid, fingerprint === undefined ? atMs : findingTime(ctx, fingerprint, uid));
    if (!object) throw new HttpError(404, `no Kubernetes object with uid ${uid} in the recorded cluster history`);
    return object;
  },
  clusterStatus: (ctx) => clusterStatus(ctx),
  connectCluster: async (ctx, { body }) => {
    const choice = connectChoice(body);
    try {
      await control(ctx).connect(choice);
    } catch (err) {
      if (err instanceof ClusterError) throw new HttpError(400, err.message);
      throw err;
    }
    return clusterStatus(ctx);
  },
  disconnectCluster: async (ctx) => {
    await control(ctx).disconnect();
    return clusterStatus(ctx);
  },
  clusterWorkloads: (ctx) => ctx.workloads.get(),
} satisfies Partial<Handlers>;

function clusterStatus(ctx: ApiContext): WireClusterStatus {
  const clusters = ctx.reader.clusters();
  if (!ctx.clusterControl) return { canConnect: false, watch: NOT_WATCHED, kubeconfig: { source: 'default', files: [], missing: false, contexts: [] }, clusters };
  // The kubeconfig first: reading it may start a watch that was waiting for one.
  const kubeconfig = ctx.clusterControl.kubeconfig();
  return { canConnect: true, watch: ctx.clusterControl.status(), kubeconfig, clusters };
}

function control(ctx: ApiContext): ClusterControl {
  if (!ctx.clusterControl) throw new HttpError(501, 'this Hopscope cannot connect to a cluster; it shows recorded cluster history only');
  return ctx.clusterControl;
}

function connectChoice(body: unknown): { context: string; namespaces: string[] } {
  const { context, namespaces = [] } = (body ?? {}) as Partial<Record<keyof WireClusterConnect, unknown>>;
  if (typeof context !== 'string' || context === '') throw new InputError('the body must be {"context": "NAME", "namespaces": ["NS", …]}', { field: 'context' });
  if (!Array.isArray(namespaces) || !namespaces.every((n) => typeof n === 'string')) throw new InputError('namespaces must be a list of names', { field: 'namespaces' });
  const bad = namespaces.find((n) => !NAMESPACE.test(n));
  if (bad !== undefined) throw new InputError(`${JSON.stringify(bad)} is not a namespace name (lower-case letters, digits and dashes, at most 63)`, { field: 'namespaces' });
  return { context, namespaces: [...new Set(namespaces)] };
}

/** The time a finding's objects were judged at for this one; its latest state when no occurrence reaches it any more. */
function findingTime(ctx: ApiContext, fingerprint: string, uid: string): number | undefined {
  const finding = ctx.findings.get().findings.find((f) => f.fingerprint === fingerprint);
  if (!finding) throw new HttpError(404, `no finding ${fingerprint}; ask /api/findings for the current ones`);
  return ctx.cluster.reachedAt(finding.occurrences, uid, finding.evidence);
}
