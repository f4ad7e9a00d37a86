import { describe, expect, it } from 'vitest';
import { protoFrames } from './proto-frames';

async function frames(chunks: Uint8Array[], maxBytes = 1 << 20) {
  const out = [];
  for await (const f of protoFrames((async function* () { yield* chunks; })(), maxBytes)) out.push({ message: [...f.message], offset: f.offset });
  return out;
}

const stream = new Uint8Array([0, 0, 0, 3, 0x0a, 1, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0x0a, 9]);

describe('protoFrames', () => {
  it('splits length-prefixed messages whatever byte the chunks are cut at', async () => {
    const expected = [
      { message: [0x0a, 1, 2], offset: 0 },
      { message: [], offset: 7 },
      { message: [0x0a, 9], offset: 11 },
    ];
    for (let cut = 0; cut <= stream.length; cut++) {
      for (let second = cut; second <= stream.length; second++) {
        expect(await frames([stream.subarray(0, cut), stream.subarray(cut, second), stream.subarray(second)]), `cut at ${cut}/${second}`).toEqual(expected);
      }
    }
  });

  it('names the offset where the stream is cut short', async () => {
    await expect(frames([stream.subarray(0, 16)])).rejects.toMatchObject({ message: 'the frame at byte offset 11 declares 2 bytes but only 1 follow: the stream is truncated', where: { offset: 11 } });
    await expect(frames([stream.subarray(0, 9)])).rejects.toThrow('the file ends inside the length prefix at byte offset 7: the stream is truncated');
  });

  it('refuses a frame claiming more than the limit', async () => {
    await expect(frames([new Uint8Array([0x7f, 0, 0, 0, 0x0a])])).rejects.toThrow(/byte offset 0 declares 2130706432 bytes, more than the 1 MiB limit/);
  });
});
