import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './index';
import { tempDir, traceId } from './testing';

const here = path.dirname(fileURLToPath(import.meta.url));
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.remove());

describe.each(['inline', 'thread'])('crash durability, %s writer', (mode) => {
  it('keeps every acknowledged batch when the process is SIGKILLed right after an acknowledgement', async () => {
    const file = tmp.file('crash.db');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'crash-writer.ts'), file, mode], {
      cwd: path.resolve(here, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let lastAck = -1;
    for await (const line of createInterface({ input: child.stdout })) {
      lastAck = Number(line.replace('ack ', ''));
      if (lastAck === 20) {
        child.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(lastAck).toBe(20);

    const store = openStore({ path: file });
    for (let batch = 0; batch <= lastAck; batch++) {
      const spans = store.reader.getTrace(traceId(batch + 1));
      expect(spans, `batch ${batch}`).toHaveLength(200);
      expect(spans[0].name).toBe(`batch ${batch}`);
    }
    await store.close();
  });
});
