import { useEffect } from 'react';
import { Icon } from '../components/Icon';
import { formatBytes, formatListRange } from '../model/format';
import type { ImportedTraces } from '../model/imports';
import { useLive } from '../stores/live';
import { navigate } from '../stores/route';
import { useTraceSearch } from '../stores/traceSearch';

const DONE_VISIBLE_MS = 8000;
/** Longer when the toast offers to show what came in. */
const DONE_WITH_ACTION_MS = 20_000;

/** The trace list, filtered to nothing but the time range the import's traces started in. */
function showTraces(traces: ImportedTraces): void {
  const search = useTraceSearch.getState();
  search.clearFilter();
  search.setFilter({ fromNs: traces.fromNs, toNs: traces.toNs });
  navigate({ view: 'traces' });
}

export function ImportToasts() {
  const imports = useLive((s) => s.imports);
  const dismiss = useLive((s) => s.dismissImport);
  const list = Object.values(imports);

  useEffect(() => {
    const timers = list
      .filter((i) => i.phase === 'done' && i.finishedAt)
      .map((i) => window.setTimeout(() => dismiss(i.id), Math.max(0, i.finishedAt! + (i.traces ? DONE_WITH_ACTION_MS : DONE_VISIBLE_MS) - Date.now())));
    return () => timers.forEach((t) => window.clearTimeout(t));
  }, [list, dismiss]);

  if (list.length === 0) return null;
  return (
    <div className="toasts" aria-live="polite">
      {list.map((i) => {
        const pct = i.totalBytes > 0 ? Math.min(100, (100 * i.bytesRead) / i.totalBytes) : 0;
        return (
          <div key={i.id} className={`toast ${i.phase}`} data-testid="import-toast" data-phase={i.phase}>
            <div className="toast-head">
              <Icon name={i.phase === 'failed' ? 'alert' : i.phase === 'done' ? 'check' : 'file'} />
              <span className="toast-title" title={i.name}>{i.name}</span>
              <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(i.id)}>
                <Icon name="close" size={14} />
              </button>
            </div>
            {i.phase === 'failed' ? (
              <div className="toast-error">{i.error}</div>
            ) : i.phase === 'done' ? (
              <>
                <div className="toast-body">
                  Imported {i.spans.toLocaleString()} spans and {i.logs.toLocaleString()} log records
                  {i.traces && (
                    <div className="muted" data-testid="import-range">
                      Traces started {formatListRange(i.traces.fromNs, i.traces.toNs)}
                    </div>
                  )}
                </div>
                {i.traces && (
                  <div className="toast-actions">
                    <button
                      type="button"
                      className="button small"
                      title="The trace list, filtered to the time range these traces started in"
                      onClick={() => {
                        showTraces(i.traces!);
                        dismiss(i.id);
                      }}
                      data-testid="import-show-traces"
                    >
                      <Icon name="layers" size={13} /> Show traces
                    </button>
                  </div>
                )}
              </>
            ) : (
              <>
                <div className="toast-body">
                  {i.phase === 'upload' ? 'Uploading' : 'Importing'} · {formatBytes(i.bytesRead)} of {formatBytes(i.totalBytes)}
                  {i.phase === 'import' && ` · ${i.spans.toLocaleString()} spans`}
                </div>
                <div className="progress">
                  <div className="progress-bar" style={{ width: `${pct}%` }} />
                </div>
              </>
            )}
          </div>
        );
      })}
    </div>
  );
}
