import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors';
import { emptyBatch, type TelemetryBatch } from '../model';
import { detectFormat, HEAD_BYTES, type FileFormat } from './detect';
import { jaegerToModel } from './jaeger';
import { formatBytes, jsonDocuments, type JsonDocument } from './json-documents';
import { jaegerApiV3ToModel, otlpJsonToModel, otlpProtoToModel, tempoToModel } from './otlp-files';
import { protoFrames } from './proto-frames';
import { zipkinV2ToModel } from './zipkin';
import { zipkinV1ToModel } from './zipkin-v1';

export interface ImportProgress {
  /** Bytes read from the file as stored (compressed, if it is). */
  bytesRead: number;
  totalBytes: number;
  /** Spans and log records handed to the sink so far. */
  spans: number;
  logs: number;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  /** Checked between batches: what the sink was handed stays, nothing more is read. */
  signal?: AbortSignal;
  /** Spans + log records per sink call (default 2000). */
  batchSize?: number;
  /** Largest single JSON document or protobuf message read at once (default 512 MiB). */
  maxDocumentBytes?: number;
}

export interface ImportResult {
  format: FileFormat;
  spans: number;
  logs: number;
  metricPoints: number;
}

const DEFAULT_BATCH_SIZE = 2000;
// V8's longest string is just under 512 MiB; a document is one string before it is parsed.
const DEFAULT_MAX_DOCUMENT_BYTES = 512 * 2 ** 20;
const CHUNK_BYTES = 2 ** 20;

const JSON_MAPPINGS: Record<Exclude<FileFormat, 'otlp-proto' | 'otlp-proto-stream'>, (doc: unknown) => TelemetryBatch> = {
  'otlp-json': otlpJsonToModel,
  'otlp-jsonl': otlpJsonToModel,
  'jaeger-api-v3': jaegerApiV3ToModel,
  tempo: tempoToModel,
  'jaeger-ui': jaegerToModel,
  'zipkin-v2': zipkinV2ToModel,
  'zipkin-v1': zipkinV1ToModel,
};

/**
 * Imports one trace/log file, whatever its format (detected from its content; gzip is undone
 * first), handing the sink batches of about `batchSize` items and awaiting each. JSON lines and
 * proto streams are read as a stream, one line or frame at a time, so memory stays bounded
 * whatever the file's size. Bad input throws an InputError that names the file and the line
 * (JSON) or byte offset (protobuf). Batches handed before an error or an abort stay handed.
 */
export async function importFile(
  file: string,
  sink: (batch: TelemetryBatch) => Promise<void>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const { size: totalBytes } = await stat(file);
  let bytesRead = 0;
  const source = decompressed(fileChunks(file, (n) => (bytesRead += n)));
  const maxBytes = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  const batcher = new Batcher(sink, options.batchSize ?? DEFAULT_BATCH_SIZE, options.signal, () =>
    options.onProgress?.({ bytesRead, totalBytes, spans: batcher.spans, logs: batcher.logs }),
  );
  try {
    const head: Uint8Array[] = [];
    let headBytes = 0;
    while (headBytes < HEAD_BYTES) {
      const next = await source.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.length;
    }
    let format = detectFormat(Buffer.concat(head));
    const body = (async function* () {
      yield* head;
      yield* source;
    })();

    if (format === 'otlp-proto') {
      await batcher.add(otlpProtoToModel(await readWhole(body, maxBytes)));
    } else if (format === 'otlp-proto-stream') {
      for await (const frame of protoFrames(body, maxBytes)) {
        options.signal?.throwIfAborted();
        await batcher.add(inFrame(frame.offset, () => otlpProtoToModel(frame.message)));
      }
    } else {
      const toModel = JSON_MAPPINGS[format];
      // Errors in a one-document file name a JSON path; in JSON lines or concatenated documents, a line too.
      let lineOriented = format === 'otlp-jsonl';
      for await (const doc of jsonDocuments(body, maxBytes)) {
        options.signal?.throwIfAborted();
        await batcher.add(onLine(lineOriented ? doc.line : undefined, () => toModel(parse(doc))));
        // A head that ended inside the first line could not show there were more.
        if (lineOriented && format === 'otlp-json') format = 'otlp-jsonl';
        lineOriented = true;
      }
    }
    await batcher.finish();
    return { format, spans: batcher.spans, logs: batcher.logs, metricPoints: batcher.metricPoints };
  } catch (e) {
    if (e instanceof InputError && e.where.file === undefined) throw e.inFile(file, e.where.line);
    throw e;
  } finally {
    await source.return(undefined);
  }
}

/** Collects items into sink-sized batches and hands them over one at a time. */
class Batcher {
  spans = 0;
  logs = 0;
  metricPoints = 0;
  private pending = emptyBatch();

  constructor(
    private readonly sink: (batch: TelemetryBatch) => Promise<void>,
    private readonly size: number,
    private readonly signal: AbortSignal | undefined,
    private readonly onHanded: () => void,
  ) {}

  async add(batch: TelemetryBatch): Promise<void> {
    this.pending.metricPoints += batch.metricPoints;
    for (const span of batch.spans) {
      this.pending.spans.push(span);
      if (this.pending.spans.length + this.pending.logs.length >= this.size) await this.hand();
    }
    for (const log of batch.logs) {
      this.pending.logs.push(log);
      if (this.pending.spans.length + this.pending.logs.length >= this.size) await this.hand();
    }
  }

  async finish(): Promise<void> {
    const { spans, logs, metricPoints } = this.pending;
    if (spans.length || logs.length || metricPoints) await this.hand();
    this.onHanded();
  }

  private async hand(): Promise<void> {
    this.signal?.throwIfAborted();
    const batch = this.pending;
    this.pending = emptyBatch();
    await this.sink(batch);
    this.spans += batch.spans.length;
    this.logs += batch.logs.length;
    this.metricPoints += batch.metricPoints;
    this.onHanded();
  }
}

function parse(doc: JsonDocument): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc.text);
  } catch (e) {
    const message = (e as Error).message;
    const position = /^(.*) in JSON at position (\d+)/.exec(message);
    const at = position ? Number(position[2]) : -1;
    // A truncated document breaks at its end; a break before the end is the better clue.
    if (position && !(doc.truncated && at >= doc.text.trimEnd().length)) {
      const column = at - doc.text.lastIndexOf('\n', at - 1);
      throw new InputError(`not valid JSON at column ${column}: ${position[1]}`, { line: doc.line + countNewlines(doc.text, at) });
    }
    if (!doc.truncated) throw new InputError(`not valid JSON: ${message}`, { line: doc.line });
  }
  if (doc.truncated) throw new InputError('the JSON document starting on this line ends early: the file is truncated', { line: doc.line });
  return parsed;
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function onLine<T>(line: number | undefined, map: () => T): T {
  try {
    return map();
  } catch (e) {
    if (!(e instanceof InputError) || line === undefined || e.where.line !== undefined) throw e;
    throw new InputError(e.message, { ...e.where, line });
  }
}

function inFrame<T>(offset: number, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(`frame at byte offset ${offset}: ${e.message}`, { ...e.where, offset: offset + 4 + (e.where.offset ?? 0) });
  }
}

async function readWhole(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > maxBytes) throw new InputError(`a single protobuf message larger than ${formatBytes(maxBytes)} is more than can be read at once`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

async function* fileChunks(file: string, onRead: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    onRead((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

/** The file's bytes, gunzipped when they start with the gzip magic number. */
async function* decompressed(chunks: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  const first = await chunks.next();
  if (first.done) return;
  const all = (async function* () {
    yield first.value;
    yield* chunks;
  })();
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) {
    yield* all;
    return;
  }
  const gunzip = createGunzip();
  // Errors of either side surface through gunzip's iterator.
  pipeline(Readable.from(all), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    if (typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).code!.startsWith('Z_')) {
      throw new InputError(`the gzip data is corrupt or truncated (${(e as Error).message})`);
    }
    throw e;
  }
}
