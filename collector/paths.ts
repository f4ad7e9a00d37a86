import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where Hopscope keeps its database by default: the platform's per-user data directory. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.HOPSCOPE_DATA_DIR) return env.HOPSCOPE_DATA_DIR;
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Hopscope');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Hopscope');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'hopscope');
}

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return path.join(defaultDataDir(env, platform), 'hopscope.db');
}

/** Writes a small JSON settings file in `dir` atomically (a rename), so a crash never leaves half a file. */
export function saveJsonFile(dir: string, name: string, value: unknown): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

/** A small JSON settings file in `dir`, parsed; undefined when it is missing or unreadable. */
export function loadJsonFile(dir: string, name: string): unknown {
  try {
    return JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
  } catch {
    return undefined;
  }
}
