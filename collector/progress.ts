import type { Writable } from 'node:stream';

export interface ProgressSnapshot {
  bytesRead: number;
  totalBytes: number;
  spans: number;
  logs: number;
}

/**
 * Import progress on stderr: a redrawn bar on a terminal, a line every few seconds otherwise
 * (CI logs and pipes should not fill with carriage returns).
 */
export class ImportProgress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: Writable & { isTTY?: boolean; columns?: number },
    private readonly file: string,
  ) {}

  update(p: ProgressSnapshot): void {
    const now = Date.now();
    const interval = this.out.isTTY ? 100 : 5000;
    if (now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const line = this.describe(p, now);
    if (this.out.isTTY) {
      this.out.write(`\r${line.slice(0, (this.out.columns ?? 100) - 1)}\x1b[K`);
      this.drawn = true;
    } else if (now - this.started >= interval) {
      this.out.write(`${line}\n`);
    }
  }

  done(result: { format: string; spans: number; logs: number }): void {
    this.clear();
    const secs = (Date.now() - this.started) / 1000;
    this.out.write(`${this.file}: ${result.format}, ${result.spans} spans, ${result.logs} log records in ${secs.toFixed(1)} s\n`);
  }

  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private describe(p: ProgressSnapshot, now: number): string {
    const secs = Math.max((now - this.started) / 1000, 0.001);
    const pct = p.totalBytes > 0 ? Math.min(100, (100 * p.bytesRead) / p.totalBytes) : 0;
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    const rate = Math.round((p.spans + p.logs) / secs);
    return `${this.file} ${bar} ${pct.toFixed(0)}% ${mb(p.bytesRead)}/${mb(p.totalBytes)} MB · ${(p.bytesRead / 1024 / 1024 / secs).toFixed(1)} MB/s · ${p.spans} spans ${p.logs} logs · ${rate}/s`;
  }
}
