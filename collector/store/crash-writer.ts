// Child process for the crash-durability test: writes batches forever, printing each one once acknowledged.
// argv: FILE [thread], the second to write through the worker-thread writer.
import { openStore } from './index';
import { span, spanId, traceId } from './testing';

const store = openStore({ path: process.argv[2], writerThread: process.argv[3] === 'thread' });
const SPANS_PER_BATCH = 200;
for (let batch = 0; ; batch++) {
  const spans = Array.from({ length: SPANS_PER_BATCH }, (_, i) =>
    span({ traceId: traceId(batch + 1), spanId: spanId(i + 1), name: `batch ${batch}` }),
  );
  await store.write({ spans, logs: [] });
  process.stdout.write(`ack ${batch}\n`);
}
