import type { ReactNode } from 'react';

/** A titled part of a detail pane, with an optional count beside the title. */
export function Section({ title, count, children }: { title: string; count?: number; children: ReactNode }) {
  return (
    <section className="detail-section">
      <h4>
        {title}
        {count !== undefined && <span className="muted"> {count}</span>}
      </h4>
      {children}
    </section>
  );
}
