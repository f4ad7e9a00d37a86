// A LIST response read as it arrives: each element of the top-level `items` array is parsed on its own as soon
// as its last byte is in, and the rest of the document (kind, metadata with resourceVersion and continue) is
// kept aside and parsed at the end. A page is never one string nor one tree of objects: a 500-pod page held
// whole is ~2 MB of JSON text on the wire and several times that as objects, which the JS heap and malloc then
// keep as high-water marks long after the page is gone (measured by bench/cluster.ts).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const ITEMS = [0x69, 0x74, 0x65, 0x6d, 0x73]; // items

/** Bytes [from, to) of a chunk, copied (Buffer's slice would be a view). */
function copy(chunk: Uint8Array, from: number, to: number): Uint8Array {
  return new Uint8Array(chunk.subarray(from, to));
}

function concat(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Feed it the body's chunks in order; `push` returns the items completed by each chunk, `end` the document
 * without its items. Assumes valid JSON (a malformed item or document throws from JSON.parse, as parsing the
 * whole body would); only `items` directly under the top-level object is split out.
 */
export class ListBodyParser {
  private readonly decoder = new TextDecoder();
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Inside the top-level `items` array (its elements are at depth 2). */
  private inItems = false;
  /** A top-level string being read: how many of its bytes matched `items` so far (-1 once it cannot). */
  private keyMatch = -1;
  /** The last top-level string was `items`; and so was the key whose value comes next. */
  private lastStringIsItems = false;
  private valueOfItems = false;
  /** Earlier chunks' bytes of the item being read (an item open at a chunk's end continues at the next one's start). */
  private itemPieces: Uint8Array[] = [];
  private itemOpen = false;
  /** The document outside the items array, copied out (it is small). */
  private readonly rest: Uint8Array[] = [];

  push(chunk: Uint8Array): unknown[] {
    const items: unknown[] = [];
    // The state in locals while the bytes are scanned: this loop sees every byte of a cluster's lists.
    let { depth, inString, escaped, inItems, keyMatch, lastStringIsItems, valueOfItems } = this;
    let itemStart = this.itemOpen ? 0 : -1;
    let restFrom = inItems ? -1 : 0;
    const end = chunk.length;
    for (let i = 0; i < end; i++) {
      if (inString && !escaped && depth !== 1) {
        // Most bytes are inside strings: a tight loop to the quote or backslash.
        let c = chunk[i];
        while (c !== QUOTE && c !== BACKSLASH && ++i < end) c = chunk[i];
        if (i === end) break;
        if (c === QUOTE) inString = false;
        else escaped = true;
        continue;
      }
      const b = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) {
          inString = false;
          if (depth === 1) lastStringIsItems = keyMatch === ITEMS.length;
        } else if (depth === 1 && keyMatch >= 0) {
          keyMatch = keyMatch < ITEMS.length && ITEMS[keyMatch] === b ? keyMatch + 1 : -1;
        }
        continue;
      }
      switch (b) {
        case QUOTE:
          inString = true;
          keyMatch = 0;
          break;
        case COLON:
          if (depth === 1) valueOfItems = lastStringIsItems;
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          if (depth === 1 && b === OPEN_BRACKET && valueOfItems) {
            inItems = true;
            this.rest.push(copy(chunk, restFrom, i + 1));
            restFrom = -1;
          } else if (inItems && depth === 2 && b === OPEN_BRACE) {
            itemStart = i;
          }
          depth++;
          break;
        case CLOSE_BRACE:
        case CLOSE_BRACKET:
          depth--;
          if (inItems && depth === 2 && b === CLOSE_BRACE && itemStart >= 0) {
            this.itemPieces.push(chunk.subarray(itemStart, i + 1));
            items.push(JSON.parse(this.decoder.decode(concat(this.itemPieces))));
            this.itemPieces = [];
            itemStart = -1;
          } else if (inItems && depth === 1) {
            inItems = false;
            valueOfItems = false;
            restFrom = i;
          }
          break;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.inItems = inItems;
    this.keyMatch = keyMatch;
    this.lastStringIsItems = lastStringIsItems;
    this.valueOfItems = valueOfItems;
    this.itemOpen = itemStart >= 0;
    // Copies: a view would keep the whole network chunk alive for a few bytes.
    if (this.itemOpen) this.itemPieces.push(copy(chunk, itemStart, chunk.length));
    if (restFrom >= 0 && restFrom < chunk.length) this.rest.push(copy(chunk, restFrom, chunk.length));
    return items;
  }

  /** The document without its items' elements (`items: []`); throws when the body ended mid-way. */
  end(): unknown {
    if (this.depth !== 0 || this.inString) throw new SyntaxError('the list response ended before its JSON did');
    return JSON.parse(this.decoder.decode(concat(this.rest)));
  }
}
