import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { WireImportProgress, WireImportResult } from '../../../common/wire';
import { InputError } from '../../errors';
import type { ApiContext, ImportFile } from '../context';
import type { Handlers } from '../dispatch';
import { HttpError } from '../http';
import { receiveUpload, UploadTooLarge } from '../upload';

const PROGRESS_INTERVAL_MS = 200;

/** Merges an update into an import's progress and sends it to the UI; unforced updates at most every PROGRESS_INTERVAL_MS. */
type ProgressReport = (update: Partial<WireImportProgress>, force?: boolean) => void;

export const importHandlers = {
  importFile: async (ctx, { query, req }) => {
    // Refused before a byte of the upload is read.
    importerOf(ctx);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > ctx.maxImportBytes) throw new HttpError(413, `the file is ${declared} bytes; the import limit is ${ctx.maxImportBytes}`);
    const name = path.basename(query.text('name') ?? 'upload');
    const id = query.text('id');
    const report = progressReport(ctx, name, id !== undefined && /^[\w-]{1,64}$/.test(id) ? id : newImportId(), Number.isFinite(declared) ? declared : 0);
    report({}, true);
    let upload;
    try {
      upload = await receiveUpload(req, ctx.maxImportBytes, (bytes) => report({ bytesRead: bytes }));
    } catch (err) {
      const message = err instanceof UploadTooLarge ? err.message : `the upload broke off: ${(err as Error).message}`;
      report({ phase: 'failed', error: message }, true);
      throw new HttpError(err instanceof UploadTooLarge ? 413 : 400, message);
    }
    try {
      return await importLocal(ctx, upload.file, name, report, upload.bytes);
    } finally {
      await upload.discard();
    }
  },
} satisfies Partial<Handlers>;

/** Imports a file by path (the desktop app's File → Open and drag-and-drop), with progress in the UI like an upload. */
export async function importPath(ctx: ApiContext, file: string): Promise<WireImportResult> {
  const size = await stat(file).then((st) => st.size, () => 0);
  const name = path.basename(file);
  return importLocal(ctx, file, name, progressReport(ctx, name, newImportId(), size), size);
}

function importerOf(ctx: ApiContext): ImportFile {
  if (!ctx.importFile) throw new HttpError(501, 'this Hopscope was started without file import');
  return ctx.importFile;
}

function newImportId(): string {
  return randomBytes(6).toString('hex');
}

function progressReport(ctx: ApiContext, name: string, id: string, totalBytes: number): ProgressReport {
  const progress: WireImportProgress = { id, name, phase: 'upload', bytesRead: 0, totalBytes, spans: 0, logs: 0 };
  let lastSent = 0;
  return (update, force = false) => {
    Object.assign(progress, update);
    const now = Date.now();
    if (!force && now - lastSent < PROGRESS_INTERVAL_MS) return;
    lastSent = now;
    ctx.hub.broadcast('import', { ...progress });
  };
}

/** Imports a file on this machine; `name` is what the user knows it by. */
async function importLocal(ctx: ApiContext, file: string, name: string, report: ProgressReport, totalBytes: number): Promise<WireImportResult> {
  const importFile = importerOf(ctx);
  try {
    report({ phase: 'import', bytesRead: 0, totalBytes }, true);
    const result = await importFile(file, (p) => report(p));
    report({ phase: 'done', bytesRead: totalBytes, spans: result.spans, logs: result.logs }, true);
    return result;
  } catch (err) {
    // Messages name the file they came from; the user knows it by its own name, not a temp path.
    const said = (err as Error).message.split(file).join(name);
    const message = said.includes(name) ? said : `${name}: ${said}`;
    report({ phase: 'failed', error: message }, true);
    throw err instanceof InputError ? new InputError(message, err.where) : new HttpError(500, message);
  }
}
