import type { WireRetention, WireStats } from '../../../common/wire';
import type { RetentionReport } from '../../store/types';
import { InputError } from '../../errors';
import { MIN_RETENTION_AGE_MS, MIN_RETENTION_BYTES, type RetentionLimits } from '../../../common/retention';
import { HttpError } from '../http';
import type { ApiContext } from '../context';
import type { Handlers } from '../dispatch';

/** The store's counters, the number of findings and the receivers' refusals: the status bar, also pushed as `stats` events. */
export function storeStats(ctx: ApiContext): WireStats {
  const stats: WireStats = { ...ctx.reader.stats(), findings: ctx.findings.get().findings.length };
  if (ctx.receiverStats) stats.ingest = ctx.receiverStats.stats();
  if (ctx.retention) stats.retention = { ...ctx.retention, settable: ctx.setRetention !== undefined };
  if (ctx.analysisBacklog) stats.analysisBacklog = ctx.analysisBacklog;
  if (ctx.analysisSetAside) stats.analysisSetAside = ctx.analysisSetAside;
  return stats;
}

/** A retention report as the API carries it. */
export function wireRetention(r: RetentionReport): WireRetention {
  return { maxBytes: r.maxBytes, maxAgeMs: r.maxAgeMs, removedTraces: r.removed.traces, removedSpans: r.removed.spans, removedLogs: r.removed.logs };
}

/** The body's limits, each a whole number at least the minimum retention keeps; else 400 naming the field. */
function retentionLimits(body: unknown): RetentionLimits {
  const b = (body ?? {}) as Record<string, unknown>;
  const field = (name: 'maxBytes' | 'maxAgeMs', min: number, least: string) => {
    const v = b[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InputError(`${name} must be a whole number`, { field: name });
    if (v < min) throw new InputError(`${name} ${v} is too small: at least ${least}`, { field: name });
    return v;
  };
  return { maxBytes: field('maxBytes', MIN_RETENTION_BYTES, '10 MiB'), maxAgeMs: field('maxAgeMs', MIN_RETENTION_AGE_MS, '1 minute') };
}

export const infoHandlers = {
  info: (ctx) => ({ receivers: ctx.receivers, canImport: ctx.importFile !== undefined, maxImportBytes: ctx.maxImportBytes }),
  stats: (ctx) => storeStats(ctx),
  services: (ctx) => ({ services: ctx.reader.services() }),
  setRetention: async (ctx, { body }) => {
    if (!ctx.setRetention) throw new HttpError(409, 'this server cannot change retention');
    const limits = retentionLimits(body);
    ctx.retention = wireRetention(await ctx.setRetention(limits));
    const stats = storeStats(ctx);
    ctx.hub.broadcast('stats', stats);
    return stats.retention!;
  },
  operations: (ctx, { query }) => {
    const service = query.text('service');
    if (!service) throw new InputError('operations needs ?service=NAME', { field: 'service' });
    return { operations: ctx.reader.operations(service) };
  },
} satisfies Partial<Handlers>;
