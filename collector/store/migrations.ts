// Every schema change is one entry appended here; `user_version` records how many have run.
// SQL lives in TypeScript so a bundler packages it with the code.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'spans, logs, trace summaries, search indexes, retention marks',
    sql: `
      -- A trace id gets a small key on first sight (from a span or a log) so hot indexes grow in order.
      -- Keys and log ids are never reused (AUTOINCREMENT): age retention deletes by key ranges.
      CREATE TABLE trace_ids (
        trace_key INTEGER PRIMARY KEY AUTOINCREMENT,
        trace_id TEXT NOT NULL UNIQUE
      );

      CREATE TABLE resources (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        attributes TEXT NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        schema_url TEXT NOT NULL,
        UNIQUE (attributes, dropped_attributes_count, schema_url)
      );

      CREATE TABLE scopes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        attributes TEXT NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        schema_url TEXT NOT NULL,
        UNIQUE (name, version, attributes, dropped_attributes_count, schema_url)
      );

      -- No uniqueness on (trace_key, span_id): duplicate span ids are evidence the analysis reports.
      CREATE TABLE spans (
        id INTEGER PRIMARY KEY,
        trace_key INTEGER NOT NULL,
        span_id TEXT NOT NULL,
        parent_span_id TEXT NOT NULL,
        trace_state TEXT NOT NULL,
        flags INTEGER NOT NULL,
        name TEXT NOT NULL,
        kind INTEGER NOT NULL,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        status_code INTEGER NOT NULL,
        status_message TEXT NOT NULL,
        attributes TEXT NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        events TEXT NOT NULL,
        dropped_events_count INTEGER NOT NULL,
        links TEXT NOT NULL,
        dropped_links_count INTEGER NOT NULL,
        resource_id INTEGER NOT NULL,
        scope_id INTEGER NOT NULL
      );
      CREATE INDEX spans_by_trace ON spans (trace_key);

      -- One row per trace with spans, kept current by the writer whatever order spans arrive in.
      -- The root is the smallest (root_has_parent, root_start_ns, root_span_id).
      CREATE TABLE traces (
        trace_key INTEGER PRIMARY KEY,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        duration_ns INTEGER GENERATED ALWAYS AS (end_ns - start_ns) VIRTUAL,
        span_count INTEGER NOT NULL,
        error_count INTEGER NOT NULL,
        root_span_id TEXT NOT NULL,
        root_has_parent INTEGER NOT NULL,
        root_start_ns INTEGER NOT NULL,
        root_service TEXT NOT NULL,
        root_operation TEXT NOT NULL,
        services TEXT NOT NULL
      );
      CREATE INDEX traces_by_start ON traces (start_ns);
      CREATE INDEX traces_by_duration ON traces (duration_ns);
      CREATE INDEX traces_with_errors ON traces (start_ns) WHERE error_count > 0;

      CREATE INDEX traces_by_root_operation ON traces (root_operation, start_ns);

      CREATE TABLE services (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );

      -- Posting lists: the traces with a span of each service, ordered by trace start for newest-first search.
      CREATE TABLE trace_services (
        service_id INTEGER NOT NULL,
        start_ns INTEGER NOT NULL,
        trace_key INTEGER NOT NULL,
        PRIMARY KEY (service_id, start_ns, trace_key)
      ) WITHOUT ROWID;
      CREATE INDEX trace_services_by_trace ON trace_services (trace_key);

      -- Operations offered for search: names of parentless root spans, per service.
      CREATE TABLE root_operations (
        service TEXT NOT NULL,
        operation TEXT NOT NULL,
        PRIMARY KEY (service, operation)
      ) WITHOUT ROWID;

      CREATE TABLE logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        trace_key INTEGER,
        span_id TEXT NOT NULL,
        time_ns INTEGER NOT NULL,
        observed_ns INTEGER NOT NULL,
        -- The time a log is sorted and searched by: its own, or when it was observed if it has none.
        at_ns INTEGER GENERATED ALWAYS AS (CASE WHEN time_ns <> 0 THEN time_ns ELSE observed_ns END) VIRTUAL,
        severity_number INTEGER NOT NULL,
        severity_text TEXT NOT NULL,
        body TEXT NOT NULL,
        attributes TEXT NOT NULL,
        dropped_attributes_count INTEGER NOT NULL,
        flags INTEGER NOT NULL,
        event_name TEXT NOT NULL,
        resource_id INTEGER NOT NULL,
        scope_id INTEGER NOT NULL,
        service_id INTEGER NOT NULL
      );
      CREATE INDEX logs_by_time ON logs (at_ns);
      CREATE INDEX logs_by_service ON logs (service_id, at_ns);
      CREATE INDEX logs_by_trace ON logs (trace_key, span_id) WHERE trace_key IS NOT NULL;

      -- Age retention goes by when data arrived, not by its timestamps, so an imported old file is kept.
      CREATE TABLE ingest_marks (
        minute_ms INTEGER PRIMARY KEY,
        last_trace_key INTEGER NOT NULL,
        last_log_id INTEGER NOT NULL
      );

      CREATE TABLE totals (
        only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
        spans INTEGER NOT NULL,
        logs INTEGER NOT NULL,
        traces INTEGER NOT NULL
      );
      INSERT INTO totals VALUES (1, 0, 0, 0);

      -- Readable shapes for the SQL console.
      CREATE VIEW span_view AS
        SELECT i.trace_id, s.span_id, s.parent_span_id, s.name, r.service, s.kind,
               s.start_ns, s.end_ns, s.end_ns - s.start_ns AS duration_ns, s.status_code, s.status_message,
               s.attributes, r.attributes AS resource_attributes, sc.name AS scope_name, sc.version AS scope_version,
               s.events, s.links, s.trace_state, s.flags
        FROM spans s
        JOIN trace_ids i ON i.trace_key = s.trace_key
        JOIN resources r ON r.id = s.resource_id
        JOIN scopes sc ON sc.id = s.scope_id;
      CREATE VIEW log_view AS
        SELECT l.id, l.at_ns, l.time_ns, l.observed_ns, r.service, l.severity_number, l.severity_text, l.body,
               l.attributes, i.trace_id, l.span_id, l.flags, l.event_name, r.attributes AS resource_attributes,
               sc.name AS scope_name
        FROM logs l
        LEFT JOIN trace_ids i ON i.trace_key = l.trace_key
        JOIN resources r ON r.id = l.resource_id
        JOIN scopes sc ON sc.id = l.scope_id;
    `,
  },
  {
    version: 2,
    description: 'analysis: pending traces, findings by fingerprint, examples, stitches',
    sql: `
      -- Traces that gained spans since their last analysis; analysed once quiet for the settle window.
      -- touches counts the commits that touched it: analysis clears the row only if none came after it looked.
      CREATE TABLE analysis_pending (
        trace_key INTEGER PRIMARY KEY,
        touched_ms INTEGER NOT NULL,
        touches INTEGER NOT NULL
      );
      CREATE INDEX analysis_pending_by_touch ON analysis_pending (touched_ms);

      -- One row per fingerprint (kind + subkind + service + operation); severity and evidence are the first occurrence's.
      CREATE TABLE findings (
        fingerprint TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subkind TEXT NOT NULL,
        severity TEXT NOT NULL,
        service TEXT NOT NULL,
        operation TEXT NOT NULL,
        count INTEGER NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        evidence TEXT NOT NULL
      ) WITHOUT ROWID;

      -- What each analysis found at each trace: source '' is the trace's own analysis, any other a window of
      -- the cross-trace detectors. Re-analysis replaces a source's rows, retention a trace's; findings.count is their sum.
      -- trace_key 0: an occurrence outside any stored trace.
      CREATE TABLE finding_counts (
        trace_key INTEGER NOT NULL,
        source TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (trace_key, source, fingerprint)
      ) WITHOUT ROWID;
      CREATE INDEX finding_counts_by_window ON finding_counts (source) WHERE source <> '';

      -- A few occurrences per fingerprint for people to look at; every one is counted in finding_counts.
      CREATE TABLE finding_examples (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        trace_key INTEGER NOT NULL,
        source TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        span_id TEXT NOT NULL
      );
      CREATE INDEX finding_examples_by_fingerprint ON finding_examples (fingerprint);
      CREATE INDEX finding_examples_by_trace ON finding_examples (trace_key, source);

      -- Producer/client span → consumer/server span whose context was lost, per window of the cross-trace detectors.
      CREATE TABLE stitches (
        id INTEGER PRIMARY KEY,
        window_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        confidence REAL NOT NULL,
        from_trace_id TEXT NOT NULL,
        from_span_id TEXT NOT NULL,
        to_trace_id TEXT NOT NULL,
        to_span_id TEXT NOT NULL,
        signals TEXT NOT NULL
      );
      CREATE INDEX stitches_by_window ON stitches (window_id);
      CREATE INDEX stitches_by_from_trace ON stitches (from_trace_id);
      CREATE INDEX stitches_by_to_trace ON stitches (to_trace_id);

      -- Traces that already hold spans are analysed once they settle.
      INSERT INTO analysis_pending (trace_key, touched_ms, touches)
        SELECT trace_key, unixepoch() * 1000, 1 FROM traces;
    `,
  },
  {
    version: 3,
    description: 'cluster history: Kubernetes objects the watches saw, and each state of each',
    sql: `
      -- One row per object (a uid of one cluster, named by its API server URL). Deleted objects stay, with gone_ms.
      CREATE TABLE k8s_objects (
        id INTEGER PRIMARY KEY,
        cluster TEXT NOT NULL,
        uid TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        -- metadata.creationTimestamp, RFC 3339 as the API server wrote it.
        created TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        gone_ms INTEGER,
        UNIQUE (cluster, uid)
      );
      -- (kind, name) alone finds a pod by host.name, whose namespace the span may not say.
      CREATE INDEX k8s_objects_by_name ON k8s_objects (kind, name, namespace);
      CREATE INDEX k8s_objects_by_gone ON k8s_objects (gone_ms) WHERE gone_ms IS NOT NULL;

      -- Each compact state (common/cluster.ts) a watch saw, valid from observed_ms until the object's next one.
      CREATE TABLE k8s_states (
        id INTEGER PRIMARY KEY,
        object_id INTEGER NOT NULL,
        observed_ms INTEGER NOT NULL,
        resource_version TEXT NOT NULL,
        state TEXT NOT NULL
      );
      CREATE INDEX k8s_states_by_object ON k8s_states (object_id, observed_ms);
      CREATE INDEX k8s_states_by_time ON k8s_states (observed_ms);

      -- Every address a pod held and every container id it ran, so a span's k8s.pod.ip or container.id finds its
      -- candidates without reading the whole history (which of them held it when is judged from the states).
      CREATE TABLE k8s_pod_addresses (
        address TEXT NOT NULL,
        object_id INTEGER NOT NULL,
        PRIMARY KEY (address, object_id)
      ) WITHOUT ROWID;
      CREATE TABLE k8s_container_ids (
        container_id TEXT PRIMARY KEY,
        object_id INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- What each Event is about (an object's uid, or Node//name), so an object's events are found without the namespace's.
      CREATE TABLE k8s_event_subjects (
        subject TEXT NOT NULL,
        object_id INTEGER NOT NULL,
        PRIMARY KEY (subject, object_id)
      ) WITHOUT ROWID;
      CREATE INDEX k8s_pod_addresses_by_object ON k8s_pod_addresses (object_id);
      CREATE INDEX k8s_container_ids_by_object ON k8s_container_ids (object_id);
      CREATE INDEX k8s_event_subjects_by_object ON k8s_event_subjects (object_id);
      CREATE INDEX k8s_objects_by_namespace ON k8s_objects (cluster, namespace, kind);

      CREATE TABLE k8s_clusters (
        cluster TEXT PRIMARY KEY,
        last_seen_ms INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'resource_peers: the addresses exporters connected from, for the connection link rule',
    sql: `
      -- The addresses OTLP exporters connected from, per resource (loopback is not kept): a pod IP here ties
      -- the resource to the pod that held it, as the Collector's k8sattributes processor's connection rule does.
      CREATE TABLE resource_peers (
        resource_id INTEGER NOT NULL,
        address TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (resource_id, address)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    description: 'search indexes: attribute terms per trace and log text (FTS5), filled behind ingest; duration index covers start',
    sql: `
      -- Attribute search: one document per trace and indexing step, holding a term per attribute key and one per
      -- key and value (span, resource and log attributes). collector/store/search-index.ts writes them and says why.
      CREATE TABLE attr_docs (
        id INTEGER PRIMARY KEY,
        trace_key INTEGER NOT NULL
      );
      CREATE INDEX attr_docs_by_trace ON attr_docs (trace_key);
      CREATE VIRTUAL TABLE attr_terms USING fts5(terms, content='', contentless_delete=1, detail=none, tokenize='unicode61');

      -- Log text: the body as written (ids and paths stay whole) and split at their separators.
      CREATE VIRTUAL TABLE log_text USING fts5(body, parts, content='', contentless_delete=1, tokenize="unicode61 tokenchars '-_./:@'");

      -- The search indexes cover spans and logs up to these ids; searches scan what arrived after them.
      CREATE TABLE search_progress (
        only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
        span_id INTEGER NOT NULL,
        log_id INTEGER NOT NULL
      );
      INSERT INTO search_progress VALUES (1, 0, 0);

      -- Duration ranges answered newest first without visiting the traces table for each match.
      DROP INDEX traces_by_duration;
      CREATE INDEX traces_by_duration ON traces (duration_ns, start_ns);
    `,
  },
  {
    version: 6,
    description: 'analysis_pending: the start of each waiting trace, so analysis takes them in span time order',
    sql: `
      -- Analysis takes due traces earliest first, and a window of the cross-trace detectors is judged once no due
      -- trace starts before its end: a backlog (an import, a restart) is analysed window by window.
      ALTER TABLE analysis_pending ADD COLUMN start_ns INTEGER NOT NULL DEFAULT 0;
      UPDATE analysis_pending SET start_ns = coalesce((SELECT t.start_ns FROM traces t WHERE t.trace_key = analysis_pending.trace_key), 0);
      CREATE INDEX analysis_pending_by_start ON analysis_pending (start_ns);
    `,
  },
];
