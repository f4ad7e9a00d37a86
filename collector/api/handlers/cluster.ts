import { InputError } from '../../errors';
import type { ApiContext } from '../context';
import type { Handlers } from '../dispatch';
import { HttpError } from '../http';

export const clusterHandlers = {
  clusterObject: (ctx, { params: { uid }, query }) => {
    const fingerprint = query.text('finding');
    const atMs = query.integer('atMs', 0, Number.MAX_SAFE_INTEGER);
    if (fingerprint !== undefined && atMs !== undefined) throw new InputError('give atMs or finding, not both', { field: 'finding' });
    const object = ctx.cluster.object(uid, fingerprint === undefined ? atMs : findingTime(ctx, fingerprint, uid));
    if (!object) throw new HttpError(404, `no Kubernetes object with uid ${uid} in the recorded cluster history`);
    return object;
  },
} satisfies Partial<Handlers>;

/** The time a finding's objects were judged at for this one; its latest state when no occurrence reaches it any more. */
function findingTime(ctx: ApiContext, fingerprint: string, uid: string): number | undefined {
  const finding = ctx.findings.get().findings.find((f) => f.fingerprint === fingerprint);
  if (!finding) throw new HttpError(404, `no finding ${fingerprint}; ask /api/findings for the current ones`);
  return ctx.cluster.reachedAt(finding.occurrences, uid);
}
