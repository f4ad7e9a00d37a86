// Tests only: protobuf bytes written field by field (with protobufjs's Writer), for what no SDK sends.
import protobuf from 'protobufjs/minimal.js';

export type WireField =
  | [field: number, 'string', string]
  | [field: number, 'bytes', Uint8Array]
  | [field: number, 'varint', number | bigint]
  | [field: number, 'int64', bigint]
  | [field: number, 'fixed64', bigint]
  | [field: number, 'fixed32', number]
  | [field: number, 'double', number]
  | [field: number, 'message', WireField[]]
  | [field: number, 'group', WireField[]];

export function encodeFields(fields: WireField[]): Uint8Array {
  const w = protobuf.Writer.create();
  writeFields(w, fields);
  return w.finish();
}

function writeFields(w: protobuf.Writer, fields: WireField[]): void {
  for (const [field, kind, value] of fields) {
    switch (kind) {
      case 'string':
        w.uint32((field << 3) | 2).string(value);
        break;
      case 'bytes':
        w.uint32((field << 3) | 2).bytes(value);
        break;
      case 'varint':
        w.uint32((field << 3) | 0).uint64(String(value));
        break;
      case 'int64':
        w.uint32((field << 3) | 0).int64(String(value));
        break;
      case 'fixed64':
        w.uint32((field << 3) | 1).fixed64(String(value));
        break;
      case 'fixed32':
        w.uint32((field << 3) | 5).fixed32(value);
        break;
      case 'double':
        w.uint32((field << 3) | 1).double(value);
        break;
      case 'message':
        w.uint32((field << 3) | 2).fork();
        writeFields(w, value);
        w.ldelim();
        break;
      case 'group':
        w.uint32((field << 3) | 3);
        writeFields(w, value);
        w.uint32((field << 3) | 4);
        break;
    }
  }
}

export function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
