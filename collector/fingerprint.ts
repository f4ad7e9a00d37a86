import { createHash } from 'node:crypto';

/** kind + service + operation + subkind, hashed: the same defect gets the same fingerprint in every run and every store. */
export function findingFingerprint(kind: string, subkind: string, service: string, operation: string): string {
  return createHash('sha256').update(JSON.stringify([kind, service, operation, subkind])).digest('hex').slice(0, 16);
}
