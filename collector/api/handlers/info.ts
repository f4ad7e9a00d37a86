import type { WireStats } from '../../../common/wire';
import { InputError } from '../../errors';
import type { ApiContext } from '../context';
import type { Handlers } from '../dispatch';

/** The store's counters, the number of findings and the receivers' refusals: the status bar, also pushed as `stats` events. */
export function storeStats(ctx: ApiContext): WireStats {
  const stats: WireStats = { ...ctx.reader.stats(), findings: ctx.findings.get().findings.length };
  if (ctx.receiverStats) stats.ingest = ctx.receiverStats.stats();
  if (ctx.retention) stats.retention = ctx.retention;
  if (ctx.analysisBacklog) stats.analysisBacklog = ctx.analysisBacklog;
  return stats;
}

export const infoHandlers = {
  info: (ctx) => ({ receivers: ctx.receivers, canImport: ctx.importFile !== undefined, maxImportBytes: ctx.maxImportBytes }),
  stats: (ctx) => storeStats(ctx),
  services: (ctx) => ({ services: ctx.reader.services() }),
  operations: (ctx, { query }) => {
    const service = query.text('service');
    if (!service) throw new InputError('operations needs ?service=NAME', { field: 'service' });
    return { operations: ctx.reader.operations(service) };
  },
} satisfies Partial<Handlers>;
