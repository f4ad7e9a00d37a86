// OTLP protobuf decode speed: our decoder against protobufjs (with and without mapping to the model).
// Run alone with `npx tsx bench/decode.ts`.
import { pathToFileURL } from 'node:url';
import { decodeTracesProto, decodeTracesProtoForStore } from '../collector/otlp';
import { encodeBatch } from '../collector/store/encode';
import { goServiceRequests } from './go-spans';
import { median } from './stats';
import { decodeRequestProtobufjs, decodeTracesProtobufjs } from './protobufjs-baseline';

const BATCH_SIZE = 512;
const BATCHES = 16;
const RUNS = 9;
const WARM_UP_RUNS = 3;

export interface DecodeBenchResult {
  /** Median spans/s of collector/otlp's decodeTracesProto. */
  ours: number;
  /** Median spans/s of protobufjs's generated decoder plus mapping to the same model: the fair baseline. */
  protobufjs: number;
  /** Median spans/s of protobufjs's decoder alone, producing its own objects. */
  protobufjsDecodeOnly: number;
  /** Median spans/s from request to the store's rows through the model: decodeTracesProto + encodeBatch. */
  rowsViaModel: number;
  /** The same with span attributes straight from protobuf to their JSON (decodeTracesProtoForStore): the receivers' path. */
  rowsDirect: number;
}

function spansPerSecond(payloads: Uint8Array[], spanCount: number, decode: (buf: Uint8Array) => unknown): number {
  const start = process.hrtime.bigint();
  for (const payload of payloads) decode(payload);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return spanCount / seconds;
}

export function benchDecode(): DecodeBenchResult {
  const payloads = goServiceRequests(BATCHES, BATCH_SIZE);
  const spanCount = BATCHES * BATCH_SIZE;
  const bytes = payloads.reduce((n, p) => n + p.length, 0);
  if (decodeTracesProto(payloads[0]).spans.length !== BATCH_SIZE || decodeTracesProtobufjs(payloads[0]).length !== BATCH_SIZE) {
    throw new Error('a decoder lost spans');
  }

  const decoders: [string, (buf: Uint8Array) => unknown][] = [
    ['hopscope decodeTracesProto', decodeTracesProto],
    ['protobufjs + mapping to model', decodeTracesProtobufjs],
    ['protobufjs decode only', decodeRequestProtobufjs],
    ['to rows via the model', (buf) => encodeBatch({ spans: decodeTracesProto(buf).spans, logs: [] })],
    ['to rows, attributes straight', (buf) => {
      const r = decodeTracesProtoForStore(buf);
      return encodeBatch({ spans: r.spans, logs: [] }, { spans: r.attributesJson });
    }],
  ];
  const results = decoders.map(() => [] as number[]);
  for (let run = 0; run < WARM_UP_RUNS + RUNS; run++) {
    decoders.forEach(([, decode], i) => {
      const rate = spansPerSecond(payloads, spanCount, decode);
      if (run >= WARM_UP_RUNS) results[i].push(rate);
    });
  }

  const ours = median(results[0]);
  console.log(
    `OTLP protobuf trace decode: ${BATCHES} × ${BATCH_SIZE}-span requests, ${(bytes / spanCount).toFixed(0)} bytes/span, median of ${RUNS} interleaved runs`,
  );
  console.log('decoder                          spans/s     vs ours');
  decoders.slice(0, 3).forEach(([name], i) => {
    const rate = median(results[i]);
    console.log(`${name.padEnd(32)} ${Math.round(rate).toString().padStart(9)}   ${(ours / rate).toFixed(2)}×`);
  });
  const [rowsViaModel, rowsDirect] = [median(results[3]), median(results[4])];
  console.log(
    `request → the store's rows (the receivers' work before the writer): through the model ${Math.round(rowsViaModel)} spans/s, ` +
      `attributes straight from protobuf to JSON ${Math.round(rowsDirect)} spans/s (${(rowsDirect / rowsViaModel).toFixed(2)}×)`,
  );
  return { ours, protobufjs: median(results[1]), protobufjsDecodeOnly: median(results[2]), rowsViaModel, rowsDirect };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) benchDecode();
