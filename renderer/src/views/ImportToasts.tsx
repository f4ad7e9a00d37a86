import { useEffect } from 'react';
import { Icon } from '../components/Icon';
import { formatBytes } from '../model/format';
import { useLive } from '../stores/live';

const DONE_VISIBLE_MS = 8000;

export function ImportToasts() {
  const imports = useLive((s) => s.imports);
  const dismiss = useLive((s) => s.dismissImport);
  const list = Object.values(imports);

  useEffect(() => {
    const timers = list
      .filter((i) => i.phase === 'done' && i.finishedAt)
      .map((i) => window.setTimeout(() => dismiss(i.id), Math.max(0, i.finishedAt! + DONE_VISIBLE_MS - Date.now())));
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
              <div className="toast-body">
                Imported {i.spans.toLocaleString()} spans and {i.logs.toLocaleString()} log records
              </div>
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
