export {
  countMetricPointsProto,
  decodeLogsProto,
  decodeLogsProtoForStore,
  decodeTracesProto,
  decodeTracesProtoForStore,
  type DecodedLogs,
  type DecodedSpans,
  type LogsForStore,
  type SpansForStore,
} from './proto';
export { countMetricPointsJson, decodeLogsJson, decodeOtlpJson, decodeTracesJson, type DecodedBatch } from './json';
export { encodeLogsJson, encodeTracesJson } from './json-encode';
export { encodeExportResponse, type OtlpSignal } from './response';
