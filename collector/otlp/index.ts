export { countMetricPointsProto, decodeLogsProto, decodeTracesProto, type DecodedLogs, type DecodedSpans } from './proto';
export { countMetricPointsJson, decodeLogsJson, decodeOtlpJson, decodeTracesJson, type DecodedBatch } from './json';
export { encodeLogsJson, encodeTracesJson } from './json-encode';
export { encodeExportResponse, type OtlpSignal } from './response';
