// Tags that OpenTelemetry's Jaeger and Zipkin exporters (and OpenTracing before them) use to carry
// what OTLP has fields for. They are moved out of the attributes into status and scope.
import { StatusCode, emptyScope, type Attributes, type Scope, type SpanStatus } from '../model';

/**
 * Status from `otel.status_code` / `otel.status_description`, then the `error` tag, which wins when
 * it says error: in Jaeger only a true `error` tag means error; in Zipkin any `error` tag does and
 * its value is the message.
 */
export function takeStatus(attrs: Attributes, errorTag: 'jaeger' | 'zipkin'): SpanStatus {
  const code = attrs['otel.status_code'];
  const description = attrs['otel.status_description'];
  delete attrs['otel.status_code'];
  delete attrs['otel.status_description'];
  const status: SpanStatus = { code: StatusCode.UNSET, message: typeof description === 'string' ? description : '' };
  if (typeof code === 'string') {
    const upper = code.toUpperCase();
    if (upper === 'OK') status.code = StatusCode.OK;
    else if (upper === 'ERROR') status.code = StatusCode.ERROR;
  }
  if (!Object.hasOwn(attrs, 'error')) return status;
  const error = attrs.error;
  if (errorTag === 'jaeger' ? error === true || error === 'true' : true) {
    status.code = StatusCode.ERROR;
    if (errorTag === 'zipkin' && !status.message && typeof error === 'string' && error !== 'true') status.message = error;
    delete attrs.error;
  }
  return status;
}

/** One Scope object per (name, version), taken from `otel.scope.*` or the older `otel.library.*` tags. */
export class ScopeTable {
  private readonly scopes = new Map<string, Scope>();

  take(attrs: Attributes): Scope {
    const name = attrs['otel.scope.name'] ?? attrs['otel.library.name'];
    const version = attrs['otel.scope.version'] ?? attrs['otel.library.version'];
    for (const key of ['otel.scope.name', 'otel.library.name', 'otel.scope.version', 'otel.library.version']) delete attrs[key];
    const scope = { ...emptyScope(), name: typeof name === 'string' ? name : '', version: typeof version === 'string' ? version : '' };
    const key = `${scope.name}\u0000${scope.version}`;
    const known = this.scopes.get(key);
    if (known) return known;
    this.scopes.set(key, scope);
    return scope;
  }
}
