import { createContext, useContext, useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';
import { formatWait, paceText, setAsideText } from '../../../common/text';
import type { WireAnalysisBacklog, WireIngestStats, WireRetention } from '../../../common/wire';
import { formatSize } from '../../../common/retention';
import { Icon } from '../components/Icon';
import { StorageButton } from './StorageSettings';
import { formatCount, plural } from '../model/format';
import { hasNativeOpen, importFiles, useLive } from '../stores/live';
import { resolvedTheme, usePrefs } from '../stores/prefs';
import { navigate, useRoute, type Route } from '../stores/route';

const TABS: { view: Route['view']; label: string; route: Route }[] = [
  { view: 'traces', label: 'Traces', route: { view: 'traces' } },
  { view: 'logs', label: 'Logs', route: { view: 'logs' } },
  { view: 'findings', label: 'Findings', route: { view: 'findings' } },
  { view: 'cluster', label: 'Cluster', route: { view: 'cluster' } },
  { view: 'sql', label: 'SQL', route: { view: 'sql' } },
];

export function ImportButton({ className = 'button', children }: { className?: string; children?: React.ReactNode }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" className={className} title="Import trace and log files" onClick={() => (hasNativeOpen() ? void window.hopscope!.openTraceFiles() : input.current?.click())} data-testid="import-button">
        {children ?? (
          <>
            <Icon name="upload" /> <span className="button-label">Import</span>
          </>
        )}
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="import-input"
        onChange={(e) => {
          importFiles([...(e.currentTarget.files ?? [])]);
          e.currentTarget.value = '';
        }}
      />
    </>
  );
}

/** What the tooltip of the refusal pill says: how many, why, and what exporters do with refused data. */
function refusalExplanation(ingest: WireIngestStats): string {
  const lines = [
    `Since it started, Hopscope's OTLP receivers did not store ${ingest.refusedRequests + ingest.failedRequests} export ${plural(ingest.refusedRequests + ingest.failedRequests, 'request')}.`,
  ];
  if (ingest.refusedRequests > 0) {
    lines.push(
      `${ingest.refusedRequests} ${plural(ingest.refusedRequests, 'was', 'were')} refused with 503 because more data arrived than Hopscope takes in at once (or the database could not keep up). ` +
        'Exporters retry such a batch a few times within their export timeout (10 s by default), then drop it.',
    );
  }
  if (ingest.failedRequests > 0) {
    lines.push(`${ingest.failedRequests} failed (undecodable, over the size limit, or not an OTLP export); exporters drop those at once.`);
  }
  if (ingest.refusedSpans + ingest.refusedLogs > 0) {
    lines.push(`They held ${ingest.refusedSpans} ${plural(ingest.refusedSpans, 'span')} and ${ingest.refusedLogs} ${plural(ingest.refusedLogs, 'log record')} (counted where they could be decoded).`);
  }
  if (ingest.lastReason) lines.push(`Last: ${ingest.lastReason}`);
  lines.push(ingest.refusing ? 'Refusals are going on now.' : 'None in the last few seconds.');
  lines.push('Send smaller or less frequent batches, or give exporters a longer timeout; hopscope serve prints the same in its terminal.');
  return lines.join('\n');
}

function RefusalPill({ ingest }: { ingest: WireIngestStats }) {
  const n = ingest.refusedRequests + ingest.failedRequests;
  if (n === 0) return null;
  return (
    <span className={`pill notice-pill warn${ingest.refusing ? ' refusing' : ''}`} title={refusalExplanation(ingest)} data-testid="refusal-pill" role="status">
      <Icon name="alert" size={13} />
      <Label short={`${formatCount(n)} refused`}>
        {formatCount(n)} {plural(n, 'request')} refused
      </Label>
    </span>
  );
}

/** Shown while many traces wait for analysis (an import, a burst). */
function BacklogPill({ backlog }: { backlog: WireAnalysisBacklog }) {
  const title = `${backlog.due.toLocaleString('en-US')} traces wait for analysis${paceText(backlog.due, backlog.perSecond)}; findings are incomplete until then.`;
  return (
    <span className="pill notice-pill backlog-pill" title={title} data-testid="backlog-pill" role="status">
      <Icon name="clock" size={13} />
      <Label short={`${formatCount(backlog.due)} to analyze`}>
        Analyzing {formatCount(backlog.due)} {plural(backlog.due, 'trace')}
        {backlog.perSecond > 0 && <span className="backlog-eta">· {formatWait(backlog.due / backlog.perSecond)}</span>}
      </Label>
    </span>
  );
}

/** Whether the notices say their short texts (useTightness). */
const Short = createContext(false);

/** A notice's text, or the shorter one when the top bar has no room for it; the pill's tooltip says all of it either way. */
function Label({ short, children }: { short: string; children: ReactNode }) {
  return <span className="pill-text">{useContext(Short) ? short : children}</span>;
}

/**
 * How tight the top bar is: 0, the notices say their long texts; 1, those were cut, so they say their short ones; 2,
 * even those were cut, so the counts and the import button's label make room for them. Each step back once there is
 * room for the texts it took away beside what it hid; long again whenever what the notices say changes.
 */
function useTightness(notices: RefObject<HTMLElement | null>, spacer: RefObject<HTMLElement | null>, said: string): 0 | 1 | 2 {
  const [state, setState] = useState<{ said: string; level: 1 | 2 }>();
  const level = state?.said === said ? state.level : 0;
  // at each step: what the texts wanted before it, what the rest of the bar took then, and what it hid (measured after)
  const steps = useRef<{ wanted: number; rest: number; hidden?: number }[]>([]);
  useLayoutEffect(() => {
    const box = notices.current;
    const free = spacer.current;
    const bar = box?.parentElement;
    if (!box || !free || !bar) return;
    const check = () => {
      // the notices give way to the rest of the bar, so a text that does not fit is cut rather than overflowing
      const texts = [...box.querySelectorAll<HTMLElement>('.pill-text')];
      const cut = texts.reduce((n, text) => n + text.scrollWidth - text.clientWidth, 0);
      const room = box.clientWidth + free.clientWidth;
      const rest = bar.clientWidth - room;
      const last = level > 0 ? steps.current[level - 1] : undefined;
      if (last) last.hidden ??= last.rest - rest;
      if (level < 2 && cut > 0) {
        // widths come in whole pixels: each text may want up to one more than it says
        steps.current[level] = { wanted: box.clientWidth + cut + texts.length, rest };
        setState({ said, level: (level + 1) as 1 | 2 });
      } else if (last && room - last.hidden! >= last.wanted) {
        setState(level === 2 ? { said, level: 1 } : undefined);
      }
    };
    check();
    const observer = new ResizeObserver(check);
    observer.observe(box);
    observer.observe(free);
    observer.observe(bar);
    return () => observer.disconnect();
  }, [notices, spacer, level, said]);
  return level;
}

/** Shown once live analysis set aside a trace too large for it. */
function SetAsidePill({ n }: { n: number }) {
  return (
    <span className="pill notice-pill warn" title={setAsideText(n)} data-testid="set-aside-pill" role="status">
      <Icon name="alert" size={13} />
      <Label short={`${formatCount(n)} too large`}>
        {formatCount(n)} {plural(n, 'trace')} too large to analyze live
      </Label>
    </span>
  );
}

/** Shown once retention removed something: what went, and why. */
function RetentionPill({ retention }: { retention: WireRetention }) {
  const n = retention.removedTraces;
  if (n === 0 && retention.removedLogs === 0) return null;
  const exact = (k: number) => k.toLocaleString('en-US');
  const title =
    `Retention removed ${exact(retention.removedSpans)} ${plural(retention.removedSpans, 'span')} in ${exact(n)} ${plural(n, 'trace')} ` +
    `and ${exact(retention.removedLogs)} ${plural(retention.removedLogs, 'log record')} since start, oldest first: ` +
    `the store keeps at most ${formatSize(retention.maxBytes)} of data, and what arrived within the last ${formatAge(retention.maxAgeMs)}. ` +
    `Keep more ${retention.settable ? 'in Storage settings (the database button) or ' : ''}with hopscope serve --max-db-size / --max-age.`;
  return (
    <span className="pill notice-pill" title={title} data-testid="retention-pill" role="status">
      <Icon name="clock" size={13} />
      <Label short={`${formatCount(n > 0 ? n : retention.removedLogs)} removed`}>
        {n > 0 ? `${formatCount(n)} old ${plural(n, 'trace')} removed` : `${formatCount(retention.removedLogs)} old ${plural(retention.removedLogs, 'log')} removed`}
      </Label>
    </span>
  );
}

function formatAge(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${Number(days.toFixed(1))} ${plural(days, 'day')}` : `${Number((ms / 3_600_000).toFixed(1))} h`;
}

export function TopBar() {
  const view = useRoute((s) => s.route.view);
  const stats = useLive((s) => s.stats);
  const status = useLive((s) => s.status);
  const theme = usePrefs((s) => s.theme);
  const setTheme = usePrefs((s) => s.setTheme);
  const current = view === 'trace' || view === 'stitch' ? 'traces' : view;
  const dark = resolvedTheme(theme) === 'dark';
  const notices = useRef<HTMLDivElement>(null);
  const spacer = useRef<HTMLDivElement>(null);
  const said = [
    stats?.ingest?.refusedRequests,
    stats?.ingest?.failedRequests,
    stats?.analysisBacklog?.due,
    stats?.analysisSetAside,
    stats?.retention?.removedTraces,
    stats?.retention?.removedLogs,
  ].join();
  const tightness = useTightness(notices, spacer, said);

  return (
    <header className={`topbar${tightness === 2 ? ' tight' : ''}`}>
      <a className="brand" href="#/traces" aria-label="Hopscope">
        <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden>
          <rect width="32" height="32" rx="8" fill="var(--accent)" />
          <path d="M8 22h6M12 16h8M16 10h8" stroke="white" strokeWidth="3" strokeLinecap="round" />
        </svg>
        <span>Hopscope</span>
      </a>
      <nav className="tabs" aria-label="Views">
        {TABS.map((t) => (
          <a
            key={t.view}
            href={`#/${t.view}`}
            className={`tab ${current === t.view ? 'active' : ''}`}
            aria-current={current === t.view ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate(t.route);
            }}
          >
            {t.label}
            {t.view === 'findings' && stats && stats.findings > 0 && <span className="tab-count">{formatCount(stats.findings)}</span>}
          </a>
        ))}
      </nav>
      <div className="topbar-spacer" ref={spacer} />
      <div className="topbar-stats" data-testid="stats">
        <span title="Spans stored">
          <b>{stats ? formatCount(stats.spans) : '–'}</b> {plural(stats?.spans ?? 0, 'span')}
        </span>
        <span title="Traces stored">
          <b>{stats ? formatCount(stats.traces) : '–'}</b> {plural(stats?.traces ?? 0, 'trace')}
        </span>
        <span title="Log records stored">
          <b>{stats ? formatCount(stats.logs) : '–'}</b> {plural(stats?.logs ?? 0, 'log')}
        </span>
      </div>
      {/* what the user should know of: short texts when the long ones do not fit, in the counts' place if need be (useTightness) */}
      <div className="topbar-notices" ref={notices} data-testid="topbar-notices">
        <Short.Provider value={tightness > 0}>
          {stats?.ingest && <RefusalPill ingest={stats.ingest} />}
          {stats?.analysisBacklog && <BacklogPill backlog={stats.analysisBacklog} />}
          {!!stats?.analysisSetAside && <SetAsidePill n={stats.analysisSetAside} />}
          {stats?.retention && <RetentionPill retention={stats.retention} />}
        </Short.Provider>
      </div>
      <span className={`pill live-pill ${status}`} title={status === 'live' ? 'Receiving updates' : 'Connecting to the collector…'} data-testid="live-status">
        <span className="dot" />
        {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting' : 'Reconnecting'}
      </span>
      <ImportButton className="button ghost" />
      <StorageButton />
      <button type="button" className="icon-button" onClick={() => setTheme(dark ? 'light' : 'dark')} title={dark ? 'Light theme' : 'Dark theme'} aria-label="Toggle theme" data-testid="theme-toggle">
        <Icon name={dark ? 'sun' : 'moon'} />
      </button>
    </header>
  );
}
