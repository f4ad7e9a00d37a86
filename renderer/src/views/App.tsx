import { useEffect, useState } from 'react';
import { applyTheme } from '../stores/prefs';
import { importFiles, startLive, useLive } from '../stores/live';
import { useRoute } from '../stores/route';
import { ClusterView } from './ClusterView';
import { FindingsView } from './FindingsView';
import { ImportToasts } from './ImportToasts';
import { StorageSettings } from './StorageSettings';
import { KeyboardHelp } from './KeyboardHelp';
import { LogsView } from './LogsView';
import { SqlConsoleView } from './SqlConsoleView';
import { TopBar } from './TopBar';
import { TracesView } from './TracesView';
import { TraceView } from './TraceView';

export function App() {
  const route = useRoute((s) => s.route);
  const status = useLive((s) => s.status);
  const [dragging, setDragging] = useState(false);

  useEffect(applyTheme, []);
  useEffect(startLive, []);

  if (status === 'unauthorized') {
    return (
      <div className="fullpage-message">
        <h1>This page needs its token</h1>
        <p>Open the address <code>hopscope serve</code> printed on the line starting with <code>UI:</code>.</p>
      </div>
    );
  }

  return (
    <div
      className="app"
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target || !e.relatedTarget) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        importFiles([...e.dataTransfer.files]);
      }}
    >
      <TopBar />
      <main className="main">
        {route.view === 'traces' && <TracesView />}
        {(route.view === 'trace' || route.view === 'stitch') && <TraceView route={route} />}
        {route.view === 'logs' && <LogsView route={route} />}
        {route.view === 'findings' && <FindingsView route={route} />}
        {route.view === 'cluster' && <ClusterView />}
        {route.view === 'sql' && <SqlConsoleView />}
      </main>
      <ImportToasts />
      <KeyboardHelp />
      <StorageSettings />
      {dragging && (
        <div className="drop-overlay">
          <div>Drop trace files to import them</div>
          <small>OTLP JSON / JSON lines / protobuf, Jaeger or Zipkin JSON</small>
        </div>
      )}
    </div>
  );
}
