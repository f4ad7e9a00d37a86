import { InputError } from '../errors';

export interface JsonDocument {
  /** The document's text, not yet parsed. */
  text: string;
  /** 1-based line its first byte is on. */
  line: number;
  /** The file ended before the document did (it is handed over anyway, for the parser to say where it breaks). */
  truncated?: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Splits a byte stream into its top-level JSON values: one per line in JSON lines, one for a
 * pretty-printed document, several for concatenated documents. Only string and nesting state is
 * tracked (the text is parsed later), so memory is one document at a time, at most `maxBytes`.
 */
export async function* jsonDocuments(chunks: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<JsonDocument> {
  const splitter = new JsonSplitter(maxBytes);
  for await (const chunk of chunks) yield* splitter.push(chunk);
  const rest = splitter.end();
  if (rest) yield rest;
}

/** The scanning state between chunks, kept out of the async generator so the hot loop is optimised. */
class JsonSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private startLine = 1;
  private parts: Uint8Array[] = [];
  private size = 0;
  private bomMatched = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Uint8Array): JsonDocument[] {
    const done: JsonDocument[] = [];
    let { depth, inString, escaped, line } = this;
    let start = depth > 0 ? 0 : -1;
    let i = 0;
    const n = chunk.length;
    // A UTF-8 byte order mark is allowed at the very start, even split between chunks.
    while (this.bomMatched < 3 && i < n) {
      if (chunk[i] !== UTF8_BOM[this.bomMatched]) {
        this.bomMatched = 3;
        break;
      }
      this.bomMatched++;
      i++;
    }
    while (i < n) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        while (i < n && chunk[i] !== QUOTE && chunk[i] !== BACKSLASH) i++;
        if (i === n) break;
        if (chunk[i] === BACKSLASH) escaped = true;
        else inString = false;
        i++;
        continue;
      }
      const b = chunk[i];
      if (b === QUOTE) {
        if (depth === 0) throw new InputError('expected a JSON object or array, found a string', { line });
        inString = true;
      } else if (b === 0x7b || b === 0x5b) {
        if (depth === 0) {
          start = i;
          this.startLine = line;
        }
        depth++;
      } else if (b === 0x7d || b === 0x5d) {
        if (depth === 0) throw new InputError(`unexpected '${String.fromCharCode(b)}' outside any JSON document`, { line });
        if (--depth === 0) {
          this.parts.push(chunk.subarray(start, i + 1));
          if (this.size + i + 1 - start > this.maxBytes) throw tooLarge(this.startLine, this.maxBytes);
          done.push({ text: decode(this.parts), line: this.startLine });
          this.parts = [];
          this.size = 0;
          start = -1;
        }
      } else if (b === NEWLINE) {
        line++;
      } else if (depth === 0 && b !== 0x20 && b !== 0x0d && b !== 0x09) {
        throw new InputError(`expected a JSON object or array, found ${JSON.stringify(String.fromCharCode(b))}`, { line });
      }
      i++;
    }
    if (start >= 0) {
      this.parts.push(chunk.subarray(start));
      this.size += n - start;
      if (this.size > this.maxBytes) throw tooLarge(this.startLine, this.maxBytes);
    }
    Object.assign(this, { depth, inString, escaped, line });
    return done;
  }

  /** What is left at the end of the input: a document the file cut short, if any. */
  end(): JsonDocument | undefined {
    return this.depth > 0 ? { text: decode(this.parts), line: this.startLine, truncated: true } : undefined;
  }
}

function decode(parts: Uint8Array[]): string {
  const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function tooLarge(line: number, maxBytes: number): InputError {
  return new InputError(`the JSON document starting on this line is larger than ${formatBytes(maxBytes)}, more than can be read at once; split it, or use JSON lines`, { line });
}

export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${Math.round(bytes / 2 ** 20)} MiB` : `${bytes} bytes`;
}
