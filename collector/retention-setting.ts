// The retention limits set in the UI (the desktop app's storage settings), kept beside the database so the next
// start keeps the same. serve's --max-db-size and --max-age, when given, win over them for that run.
import { MIN_RETENTION_AGE_MS, MIN_RETENTION_BYTES, type RetentionLimits } from '../common/retention';
import { loadJsonFile, saveJsonFile } from './paths';

const FILE = 'retention.json';

/** The saved limits; none (or those the file does not hold well) when there are none. */
export function loadRetentionSetting(dir: string): Partial<RetentionLimits> {
  const raw = loadJsonFile(dir, FILE) as Record<string, unknown> | undefined;
  const out: Partial<RetentionLimits> = {};
  if (typeof raw?.maxBytes === 'number' && raw.maxBytes >= MIN_RETENTION_BYTES) out.maxBytes = raw.maxBytes;
  if (typeof raw?.maxAgeMs === 'number' && raw.maxAgeMs >= MIN_RETENTION_AGE_MS) out.maxAgeMs = raw.maxAgeMs;
  return out;
}

export function saveRetentionSetting(dir: string, limits: RetentionLimits): void {
  saveJsonFile(dir, FILE, { maxBytes: limits.maxBytes, maxAgeMs: limits.maxAgeMs });
}
