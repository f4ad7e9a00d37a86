import { useEffect, useRef, useState } from 'react';
import { SQL_DEFAULT_MAX_ROWS, SQL_DEFAULT_TIMEOUT_MS, SQL_MAX_ROWS, SQL_MAX_TIMEOUT_MS, type WireSqlResult } from '../../../common/wire';
import { api } from '../api';
import { Icon } from '../components/Icon';
import { VirtualList } from '../components/VirtualList';
import { formatCount, plural } from '../model/format';

const EXAMPLE = `SELECT name, count(*) AS spans
FROM span_view
GROUP BY name
ORDER BY spans DESC`;

const TIME_LIMITS = [SQL_DEFAULT_TIMEOUT_MS, 15_000, 30_000, SQL_MAX_TIMEOUT_MS];
const ROW_HEIGHT = 26;
const INDEX_WIDTH = 56;

type RunState =
  | { kind: 'idle' }
  | { kind: 'running'; id: string; startedAt: number; controller: AbortController }
  | { kind: 'done'; result: WireSqlResult }
  | { kind: 'failed'; message: string }
  | { kind: 'cancelled'; afterMs: number };

/** What was typed and asked for, kept while the user looks at other views. */
const kept = { sql: EXAMPLE, maxRows: SQL_DEFAULT_MAX_ROWS, timeoutMs: SQL_DEFAULT_TIMEOUT_MS };

function newId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `q-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Column widths from the header and the first rows, so header and cells line up in every row. */
function columnWidths(result: WireSqlResult): number[] {
  const sample = result.rows.slice(0, 200);
  return result.columns.map((name, i) => {
    let chars = name.length;
    for (const row of sample) chars = Math.max(chars, Math.min(60, cellText(row[i]).length));
    return Math.round(Math.min(420, Math.max(72, chars * 7.4 + 24)));
  });
}

function ResultTable({ result }: { result: WireSqlResult }) {
  const widths = columnWidths(result);
  const template = `${INDEX_WIDTH}px ${widths.map((w) => `${w}px`).join(' ')}`;
  const width = INDEX_WIDTH + widths.reduce((a, b) => a + b, 0);
  if (result.columns.length === 0) return <div className="sql-empty muted">The statement answered without columns.</div>;
  return (
    <div className="sql-table" data-testid="sql-result">
      <div className="sql-table-inner" style={{ minWidth: width }}>
        <div className="sql-row sql-head" style={{ gridTemplateColumns: template }} role="row">
          <span className="sql-index">#</span>
          {result.columns.map((c, i) => (
            <span key={i} className="sql-cell" title={c} role="columnheader">
              {c}
            </span>
          ))}
        </div>
        {result.rows.length === 0 ? (
          <div className="sql-empty muted">No rows.</div>
        ) : (
          <VirtualList
            count={result.rows.length}
            rowHeight={ROW_HEIGHT}
            className="sql-rows"
            renderRow={(r) => (
              <div className="sql-row" style={{ gridTemplateColumns: template }} role="row">
                <span className="sql-index">{r + 1}</span>
                {result.rows[r].map((v, i) => {
                  const text = cellText(v);
                  return (
                    <span key={i} className={`sql-cell ${v === null ? 'sql-null' : typeof v === 'number' ? 'sql-number' : ''}`} title={text.length > 40 ? text.slice(0, 2000) : undefined}>
                      {text.length > 300 ? `${text.slice(0, 300)}…` : text}
                    </span>
                  );
                })}
              </div>
            )}
          />
        )}
      </div>
    </div>
  );
}

function Status({ state, now, onCancel }: { state: RunState; now: number; onCancel(): void }) {
  switch (state.kind) {
    case 'idle':
      return <span className="muted">Read-only: SELECT, WITH, EXPLAIN and PRAGMAs that read. Ctrl+Enter runs the query.</span>;
    case 'running':
      return (
        <>
          <span className="sql-spinner" aria-hidden />
          <span data-testid="sql-status">Running… {seconds(now - state.startedAt)}</span>
          <button type="button" className="button small" onClick={onCancel} data-testid="sql-cancel" title="Stop the query (Esc)">
            <Icon name="close" size={13} /> Cancel
          </button>
        </>
      );
    case 'done': {
      const { result } = state;
      return (
        <>
          <span data-testid="sql-status">
            {formatCount(result.rows.length)} {plural(result.rows.length, 'row')}
            {result.elapsedMs !== undefined && <span className="muted"> · {result.elapsedMs} ms</span>}
          </span>
          {result.truncated && (
            <span className="sql-truncated" data-testid="sql-truncated">
              <Icon name="alert" size={13} /> {result.message ?? 'more rows were left out'}
            </span>
          )}
        </>
      );
    }
    case 'failed':
      return (
        <span className="error-text sql-error" data-testid="sql-error" role="alert">
          {state.message}
        </span>
      );
    case 'cancelled':
      return (
        <span className="sql-cancelled" data-testid="sql-status">
          Query cancelled after {seconds(state.afterMs)}
        </span>
      );
  }
}

/** Read-only SQL over the store; the query runs in a process of its own, with a time limit, and can be cancelled. */
export function SqlConsoleView() {
  const [sql, setSql] = useState(kept.sql);
  const [maxRows, setMaxRows] = useState(String(kept.maxRows));
  const [timeoutMs, setTimeoutMs] = useState(kept.timeoutMs);
  const [state, setState] = useState<RunState>({ kind: 'idle' });
  const [lastResult, setLastResult] = useState<WireSqlResult>();
  const [now, setNow] = useState(() => Date.now());
  const running = useRef<Extract<RunState, { kind: 'running' }> | undefined>(undefined);

  const rows = Number(maxRows);
  const rowsValid = Number.isInteger(rows) && rows >= 1 && rows <= SQL_MAX_ROWS;

  useEffect(() => {
    kept.sql = sql;
    if (rowsValid) kept.maxRows = rows;
    kept.timeoutMs = timeoutMs;
  }, [sql, rows, rowsValid, timeoutMs]);

  useEffect(() => {
    if (state.kind !== 'running') return;
    const timer = window.setInterval(() => setNow(Date.now()), 100);
    return () => window.clearInterval(timer);
  }, [state.kind]);

  // Leaving the view stops its query.
  useEffect(() => () => running.current?.controller.abort(), []);

  async function run(): Promise<void> {
    if (running.current || !rowsValid || sql.trim() === '') return;
    const run: Extract<RunState, { kind: 'running' }> = { kind: 'running', id: newId(), startedAt: Date.now(), controller: new AbortController() };
    running.current = run;
    setNow(run.startedAt);
    setState(run);
    try {
      const result = await api.querySql(sql, rows, { timeoutMs, id: run.id, signal: run.controller.signal });
      if (running.current !== run) return;
      setLastResult(result);
      setState({ kind: 'done', result });
    } catch (err) {
      if (running.current !== run) return;
      setState({ kind: 'failed', message: (err as Error).message });
    } finally {
      if (running.current === run) running.current = undefined;
    }
  }

  function cancel(): void {
    const run = running.current;
    if (!run) return;
    running.current = undefined;
    // Dropping the request stops the query; the explicit cancel is for when the request cannot be dropped.
    run.controller.abort();
    void api.cancelSql(run.id).catch(() => undefined);
    setState({ kind: 'cancelled', afterMs: Date.now() - run.startedAt });
  }

  const isRunning = state.kind === 'running';
  return (
    <div className="sql-view" data-testid="sql-view">
      <div className="sql-editor-bar">
        <textarea
          className="sql-editor"
          value={sql}
          spellCheck={false}
          aria-label="SQL query"
          data-testid="sql-input"
          onChange={(e) => setSql(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void run();
            } else if (e.key === 'Escape' && isRunning) {
              e.preventDefault();
              cancel();
            }
          }}
        />
        <div className="sql-controls">
          <label className={`field ${rowsValid ? '' : 'invalid'}`}>
            <span className="field-label">Rows</span>
            <input type="number" min={1} max={SQL_MAX_ROWS} step={1} value={maxRows} onChange={(e) => setMaxRows(e.target.value)} data-testid="sql-max-rows" title={`1 to ${formatCount(SQL_MAX_ROWS)}`} />
          </label>
          <label className="field">
            <span className="field-label">Time limit</span>
            <select value={timeoutMs} onChange={(e) => setTimeoutMs(Number(e.target.value))} data-testid="sql-timeout">
              {TIME_LIMITS.map((ms) => (
                <option key={ms} value={ms}>
                  {ms / 1000} s
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="button primary" onClick={() => void run()} disabled={isRunning || !rowsValid || sql.trim() === ''} data-testid="sql-run">
            <Icon name="send" size={14} /> Run
          </button>
        </div>
      </div>
      <div className="sql-status-bar" aria-live="polite">
        <Status state={state} now={now} onCancel={cancel} />
        {!rowsValid && <span className="error-text">Rows must be a whole number from 1 to {formatCount(SQL_MAX_ROWS)}.</span>}
      </div>
      {state.kind === 'done' ? (
        <ResultTable result={state.result} />
      ) : lastResult && state.kind !== 'idle' ? (
        <div className="sql-stale">
          <ResultTable result={lastResult} />
        </div>
      ) : (
        <div className="sql-empty muted">Results appear here.</div>
      )}
    </div>
  );
}
