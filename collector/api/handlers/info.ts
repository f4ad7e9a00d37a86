import type { WireStats } from '../../../common/wire';
import { InputError } from '../../errors';
import type { ApiContext } from '../context';
import type { Handlers } from '../dispatch';

/** The store's counters and the number of findings: the status bar, also pushed as `stats` events. */
export function storeStats(ctx: ApiContext): WireStats {
  return { ...ctx.reader.stats(), findings: ctx.findings.get().findings.length };
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
