import { rpcHops } from '../fixtures/rpc-hops';
import { decodeTracesProto } from '../collector/otlp';
import { analyzeAll, spansByTrace } from '../collector/analysis/analyze';
const s = rpcHops({ concurrency: 8, requests: 2000, correlated: false, context: 'lost' });
analyzeAll(spansByTrace(s.payloads.flatMap((p) => decodeTracesProto(p).spans)));
