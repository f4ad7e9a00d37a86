import type { Handlers } from '../dispatch';

export const findingHandlers = {
  findings: (ctx) => ctx.findings.get(),
} satisfies Partial<Handlers>;
