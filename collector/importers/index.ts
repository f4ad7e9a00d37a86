export { detectFormat, HEAD_BYTES, UNDERSTOOD_FORMATS, type FileFormat } from './detect';
export { importFile, type ImportOptions, type ImportProgress, type ImportResult } from './import-file';
export { jaegerToModel } from './jaeger';
export { jaegerApiV3ToModel, otlpJsonToModel, otlpProtoToModel, tempoToModel } from './otlp-files';
export { zipkinV2ToModel } from './zipkin';
export { zipkinV1ToModel } from './zipkin-v1';
