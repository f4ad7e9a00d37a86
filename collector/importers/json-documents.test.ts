import { describe, expect, it } from 'vitest';
import { jsonDocuments } from './json-documents';

async function split(chunks: Uint8Array[], maxBytes = 1 << 20) {
  const docs = [];
  for await (const doc of jsonDocuments((async function* () { yield* chunks; })(), maxBytes)) docs.push(doc);
  return docs;
}

const TRICKY = [
  '{"a":"brace } and bracket ] in a string","b":"escaped \\" quote and \\\\ backslash\\\\"}',
  '[{"k":"\\\\"},{"k":"é ✓ 𝄞"}]',
  '{\n  "pretty": [\n    1,\n    {"x": "\\\\\\""}\n  ]\n}',
];

describe('jsonDocuments', () => {
  it('finds every document whatever byte the chunks are cut at', async () => {
    const bytes = new TextEncoder().encode(`\ufeff${TRICKY.join('\n')}\n`);
    for (let cut = 0; cut <= bytes.length; cut++) {
      for (const second of [cut, Math.min(bytes.length, cut + 1), Math.min(bytes.length, cut + 7)]) {
        const docs = await split([bytes.subarray(0, cut), bytes.subarray(cut, second), bytes.subarray(second)]);
        expect(docs.map((d) => d.text), `cut at ${cut}/${second}`).toEqual(TRICKY);
        expect(docs.map((d) => d.line)).toEqual([1, 2, 3]);
      }
    }
  });

  it('hands over a document the input cuts short, marked truncated', async () => {
    const docs = await split([new TextEncoder().encode('{"a":1}\n{"b":[1,')]);
    expect(docs).toEqual([{ text: '{"a":1}', line: 1 }, { text: '{"b":[1,', line: 2, truncated: true }]);
  });

  it('names the line of text outside any document', async () => {
    await expect(split([new TextEncoder().encode('{"a":1}\n\nnull\n')])).rejects.toMatchObject({ message: 'expected a JSON object or array, found "n"', where: { line: 3 } });
    await expect(split([new TextEncoder().encode('{"a":1}}')])).rejects.toThrow(/unexpected '}' outside any JSON document/);
  });

  it('refuses a document over the limit, whether or not it spans chunks', async () => {
    const doc = new TextEncoder().encode(`{"a":"${'x'.repeat(100)}"}`);
    await expect(split([doc], 50)).rejects.toThrow(/larger than 50 bytes/);
    await expect(split([doc.subarray(0, 60), doc.subarray(60)], 50)).rejects.toThrow(/larger than 50 bytes/);
    expect(await split([doc], 200)).toHaveLength(1);
  });
});
