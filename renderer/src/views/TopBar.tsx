import { useRef } from 'react';
import { Icon } from '../components/Icon';
import { formatCount, plural } from '../model/format';
import { hasNativeOpen, importFiles, useLive } from '../stores/live';
import { resolvedTheme, usePrefs } from '../stores/prefs';
import { navigate, useRoute, type Route } from '../stores/route';

const TABS: { view: Route['view']; label: string; route: Route }[] = [
  { view: 'traces', label: 'Traces', route: { view: 'traces' } },
  { view: 'logs', label: 'Logs', route: { view: 'logs' } },
  { view: 'findings', label: 'Findings', route: { view: 'findings' } },
  { view: 'cluster', label: 'Cluster', route: { view: 'cluster' } },
];

export function ImportButton({ className = 'button', children }: { className?: string; children?: React.ReactNode }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" className={className} onClick={() => (hasNativeOpen() ? void window.hopscope!.openTraceFiles() : input.current?.click())} data-testid="import-button">
        {children ?? (
          <>
            <Icon name="upload" /> Import
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

export function TopBar() {
  const view = useRoute((s) => s.route.view);
  const stats = useLive((s) => s.stats);
  const status = useLive((s) => s.status);
  const theme = usePrefs((s) => s.theme);
  const setTheme = usePrefs((s) => s.setTheme);
  const current = view === 'trace' || view === 'stitch' ? 'traces' : view;
  const dark = resolvedTheme(theme) === 'dark';

  return (
    <header className="topbar">
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
      <div className="topbar-spacer" />
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
      <span className={`live-pill ${status}`} title={status === 'live' ? 'Receiving updates' : 'Connecting to the collector…'} data-testid="live-status">
        <span className="dot" />
        {status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting' : 'Reconnecting'}
      </span>
      <ImportButton className="button ghost" />
      <button type="button" className="icon-button" onClick={() => setTheme(dark ? 'light' : 'dark')} title={dark ? 'Light theme' : 'Dark theme'} aria-label="Toggle theme" data-testid="theme-toggle">
        <Icon name={dark ? 'sun' : 'moon'} />
      </button>
    </header>
  );
}
