import { describe, expect, it } from 'vitest';
import { sseParser } from './sse';

function parseAll(chunks: string[]): [string, string][] {
  const out: [string, string][] = [];
  const feed = sseParser((event, data) => out.push([event, data]));
  for (const c of chunks) feed(c);
  return out;
}

describe('sseParser', () => {
  it('emits one event per blank-line-terminated block, however the chunks fall', () => {
    const stream = 'retry: 2000\n\nevent: stats\ndata: {"spans":1}\n\n: keepalive\n\nevent: traces\ndata: {"a":\ndata: 2}\n\n';
    const whole = parseAll([stream]);
    expect(whole).toEqual([
      ['stats', '{"spans":1}'],
      ['traces', '{"a":\n2}'],
    ]);
    const byChar = parseAll([...stream]);
    expect(byChar).toEqual(whole);
  });

  it('handles CRLF line ends split across chunks, and a default event name', () => {
    expect(parseAll(['data: x\r', '\n\r', '\n'])).toEqual([['message', 'x']]);
  });

  it('holds an unfinished event back', () => {
    expect(parseAll(['event: stats\ndata: {}\n'])).toEqual([]);
  });
});
