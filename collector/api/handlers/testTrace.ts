import type { Handlers } from '../dispatch';
import { buildTestTrace } from '../testTrace';

export const testTraceHandlers = {
  sendTestTrace: async (ctx) => {
    const batch = buildTestTrace();
    await ctx.ingest(batch);
    return { traceId: batch.spans[0].traceId };
  },
} satisfies Partial<Handlers>;
