import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors';
import { plural } from '../../common/text';
import { emptyBatch, type TelemetryBatch } from '../model';
import { detectFormat, HEAD_BYTES, type FileFormat } from './detect';
import { jaegerToModel } from './jaeger';
import { formatBytes, jsonDocuments, type JsonDocument } from './json-documents';
import { jaegerApiV3ToModel, otlpJsonToModel, otlpProtoToModel, tempoToModel } from './otlp-files';
import { protoFrames } from './proto-frames';
import { zipkinV2ToModel } from './zipkin';
import { zipkinV1ToModel } from './zipkin-v1';

export interface ImportProgress {
  /**
   * How far the import is, in bytes of the file as stored (compressed, if it is). A file is read through
   * once to check it and then stored; each step counts for half, so this reaches `totalBytes` at the end.
   */
  bytesRead: number;
  totalBytes: number;
  /** Spans and log records handed to the sink (stored) so far: none while the file is being checked. */
  spans: number;
  logs: number;
}

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  /** Checked between batches: while checking, nothing was handed; while storing, what the sink was handed stays. */
  signal?: AbortSignal;
  /** Spans + log records per sink call (default 2000). */
  batchSize?: number;
  /** Largest single JSON document or protobuf message read at once (default 512 MiB). */
  maxDocumentBytes?: number;
  /**
   * Spans + log records kept decoded in memory from the check to the store step: a file
   * with no more is read once; a larger one is read a second time to store it (default 20,000).
   */
  holdItems?: number;
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
// 0.6–2 KB of heap per decoded span or log record (measured on generated and corpus files): 12–40 MB at most.
const DEFAULT_HOLD_ITEMS = 20_000;
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
 * Imports one trace/log file, whatever its format (detected from its content; gzip is undone first), whole
 * or not at all: the file is first read to its end and decoded without handing anything over, and only a
 * file that decodes cleanly is then handed to the sink, in batches of about `batchSize` items (one being
 * committed while the next is decoded). The sink is the store's group commit: each batch is committed, and
 * may be seen by live analysis, as it comes, so checking first is what keeps a broken file from leaving its
 * first part behind. A file of up to `holdItems` items is kept decoded between the two steps; a larger one
 * is read again, as a stream — one line or frame at a time — so memory stays bounded whatever its size.
 *
 * Bad input throws an InputError that names the file and the line (JSON) or byte offset (protobuf), and
 * says that nothing of the file was stored. An abort while checking leaves nothing stored either; one
 * while storing, or a sink that fails, leaves what the sink had taken: the last progress report counts it
 * and a failure's message says how much.
 */
export async function importFile(
  file: string,
  sink: (batch: TelemetryBatch) => Promise<void>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const { size: totalBytes, mtimeMs } = await stat(file);
  const report = (bytesRead: number, stored: { spans: number; logs: number }) =>
    options.onProgress?.({ bytesRead: Math.min(totalBytes, Math.round(bytesRead)), totalBytes, spans: stored.spans, logs: stored.logs });
  const nothingStored = { spans: 0, logs: 0 };

  // Step 1: check — decode the whole file, holding the batches while they are few enough.
  let held: TelemetryBatch[] | undefined = [];
  let heldItems = 0;
  const holdItems = options.holdItems ?? DEFAULT_HOLD_ITEMS;
  const decoded = { spans: 0, logs: 0 };
  const hold = async (batch: TelemetryBatch) => {
    heldItems += batch.spans.length + batch.logs.length;
    if (held && heldItems <= holdItems) held.push(batch);
    else held = undefined;
  };
  let checked;
  try {
    checked = await decodeFile(file, hold, options, decoded, (bytes) => report(bytes / 2, nothingStored));
  } catch (e) {
    throw e instanceof InputError ? notStored(e, decoded) : e;
  }
  report(totalBytes / 2, nothingStored);

  // Step 2: store. One batch is committed while the next is decoded.
  const stored = { spans: 0, logs: 0 };
  let inFlight = Promise.resolve();
  let failure: { error: unknown } | undefined;
  const settled = async () => {
    await inFlight;
    if (failure) throw failure.error;
  };
  const store = async (batch: TelemetryBatch, onStored: () => void) => {
    await settled();
    options.signal?.throwIfAborted();
    inFlight = sink(batch).then(
      () => {
        stored.spans += batch.spans.length;
        stored.logs += batch.logs.length;
        onStored();
      },
      (error: unknown) => void (failure = { error }),
    );
  };
  try {
    if (held) {
      const items = Math.max(1, heldItems);
      for (const batch of held) await store(batch, () => report(totalBytes / 2 + ((totalBytes / 2) * (stored.spans + stored.logs)) / items, stored));
    } else {
      const now = await stat(file);
      if (now.size !== totalBytes || now.mtimeMs !== mtimeMs) {
        throw new InputError(`${file}: the file changed after it was checked; import it again once it is complete`, { file });
      }
      let bytesRead = 0;
      await decodeFile(file, (batch) => store(batch, () => report((totalBytes + bytesRead) / 2, stored)), options, { spans: 0, logs: 0 }, (bytes) => (bytesRead = bytes));
    }
    await settled();
  } catch (e) {
    await inFlight;
    throw stored.spans + stored.logs === 0 ? e : partlyStored(e, file, stored);
  }
  report(totalBytes, stored);
  return { format: checked.format, spans: stored.spans, logs: stored.logs, metricPoints: checked.metricPoints };
}

/** The error of a file none of which was stored, saying so when some of it had decoded before the error. */
function notStored(e: InputError, before: { spans: number; logs: number }): InputError {
  if (before.spans + before.logs === 0) return e;
  return new InputError(`${e.message} — nothing from this file was imported, not even the ${counted(before)} before this point`, e.where);
}

/** The error of a store step that failed part way: what was stored stays, and the message says how much. */
function partlyStored(e: unknown, file: string, stored: { spans: number; logs: number }): unknown {
  const kept = `${counted(stored)} from this file had been stored before this and are kept`;
  if (e instanceof InputError) return new InputError(`${e.message} — ${kept}`, e.where);
  // An abort is the caller's own doing: it knows, from the last progress report, what was stored.
  if (e instanceof Error && e.name === 'AbortError') return e;
  return new Error(`${file}: storing failed after ${counted(stored)}, which are kept: ${(e as Error).message}`, { cause: e });
}

function counted({ spans, logs }: { spans: number; logs: number }): string {
  return logs === 0 ? `${spans} ${plural(spans, 'span')}` : `${spans} ${plural(spans, 'span')} and ${logs} log ${plural(logs, 'record')}`;
}

/**
 * Reads and decodes a whole file, handing the sink batches of about `batchSize` items and awaiting each;
 * `decoded` counts what has decoded so far, handed or not. Bad input throws an InputError naming the file
 * and the line or byte offset.
 */
async function decodeFile(
  file: string,
  sink: (batch: TelemetryBatch) => Promise<void>,
  options: ImportOptions,
  decoded: { spans: number; logs: number },
  onRead: (bytesRead: number) => void,
): Promise<{ format: FileFormat; metricPoints: number }> {
  let bytesRead = 0;
  const source = decompressed(fileChunks(file, (n) => (bytesRead += n)));
  const maxBytes = options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  const batcher = new Batcher(sink, options.batchSize ?? DEFAULT_BATCH_SIZE, options.signal, decoded, () => onRead(bytesRead));
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
    return { format, metricPoints: batcher.metricPoints };
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
    private readonly decoded: { spans: number; logs: number },
    private readonly onHanded: () => void,
  ) {}

  async add(batch: TelemetryBatch): Promise<void> {
    this.decoded.spans += batch.spans.length;
    this.decoded.logs += batch.logs.length;
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
