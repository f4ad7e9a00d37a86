import { useState } from 'react';
import { api } from '../api';
import { CopyButton } from '../components/CopyButton';
import { Icon } from '../components/Icon';
import { useLive } from '../stores/live';
import { navigate } from '../stores/route';
import { ImportButton } from './TopBar';

function EnvBlock({ title, subtitle, lines }: { title: string; subtitle: string; lines: string[] }) {
  const text = lines.join('\n');
  return (
    <section className="env-card">
      <header>
        <h3>{title}</h3>
        <CopyButton text={text} label={`Copy ${title} settings`} />
      </header>
      <p className="muted small">{subtitle}</p>
      <pre className="env" data-testid="env-block">
        {lines.map((l) => {
          const eq = l.indexOf('=');
          return (
            <div key={l}>
              <span className="env-key">{l.slice(0, eq)}</span>=<span className="env-value">{l.slice(eq + 1)}</span>
            </div>
          );
        })}
      </pre>
    </section>
  );
}

/** What a new user sees: how to point a Go service here, or two ways to get data in without one. */
export function EmptyState() {
  const info = useLive((s) => s.info);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string>();
  const http = info?.receivers.otlpHttp ?? 'http://localhost:4318';
  const grpc = info?.receivers.otlpGrpc ?? 'localhost:4317';
  const grpcUrl = grpc.includes('://') ? grpc : `http://${grpc}`;

  const sendTestTrace = async () => {
    setSending(true);
    setError(undefined);
    try {
      const { traceId } = await api.sendTestTrace();
      navigate({ view: 'trace', traceId });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSending(false);
    }
  };

  return (
    <div className="empty-state" data-testid="empty-state">
      <div className="empty-hero">
        <div className="pulse-ring" aria-hidden />
        <h2>Waiting for telemetry</h2>
        <p className="muted">Point a service's OpenTelemetry exporter at Hopscope. Spans and logs show up here as they arrive.</p>
      </div>
      <div className="env-grid">
        <EnvBlock
          title="Go service · OTLP/HTTP"
          subtitle="For otlptracehttp, otlploghttp and autoexport."
          lines={[`OTEL_EXPORTER_OTLP_ENDPOINT=${http}`, 'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf', 'OTEL_TRACES_EXPORTER=otlp', 'OTEL_LOGS_EXPORTER=otlp', 'OTEL_SERVICE_NAME=checkout']}
        />
        <EnvBlock
          title="Go service · OTLP/gRPC"
          subtitle="For otlptracegrpc, otlploggrpc and autoexport."
          lines={[`OTEL_EXPORTER_OTLP_ENDPOINT=${grpcUrl}`, 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc', 'OTEL_EXPORTER_OTLP_INSECURE=true', 'OTEL_TRACES_EXPORTER=otlp', 'OTEL_LOGS_EXPORTER=otlp', 'OTEL_SERVICE_NAME=checkout']}
        />
      </div>
      <div className="empty-actions">
        <button type="button" className="button primary" onClick={() => void sendTestTrace()} disabled={sending} data-testid="send-test-trace">
          <Icon name="send" /> {sending ? 'Sending…' : 'Send a test trace'}
        </button>
        {info?.canImport !== false && (
          <ImportButton className="button">
            <Icon name="file" /> Open a file
          </ImportButton>
        )}
        <span className="muted small">or drop OTLP, Jaeger or Zipkin files anywhere on this window</span>
      </div>
      {error && <div className="error-banner">{error}</div>}
    </div>
  );
}
