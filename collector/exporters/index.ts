export { exportOtlpJson, type ExportCounts, type ExportSelection } from './otlp-json';
