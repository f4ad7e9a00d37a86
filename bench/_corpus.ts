import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { importFile } from '../collector/importers';
import { analyzeAll, spansByTrace } from '../collector/analysis/analyze';
import type { LogRecord, Span } from '../collector/model';
import { scenarios } from '../fixtures/scenarios';
import { decodeTracesProto } from '../collector/otlp';
const root = '/work/shared/corpus';
const files: string[] = [];
const walk = (d: string) => { for (const f of readdirSync(d)) { const p = join(d, f); if (statSync(p).isDirectory()) walk(p); else if (!p.endsWith('.md')) files.push(p); } };
walk(root);
for (const file of files) {
  const spans: Span[] = []; const logs: LogRecord[] = [];
  try { await importFile(file, async (b) => { spans.push(...b.spans); logs.push(...b.logs); }); } catch (e) { continue; }
  const r = analyzeAll(spansByTrace(spans), logs);
  const cross = r.findings.filter((f) => !['broken-parent', 'multiple-roots', 'clock-skew'].includes(f.kind));
  if (cross.length || r.stitches.length) console.log(file.slice(root.length + 1), spans.length, logs.length, cross.map((f) => `${f.kind}/${f.subkind}/${f.severity}/${f.service}:${f.count}`), 'stitches', r.stitches.length, r.stitches.slice(0, 3));
}
for (const make of scenarios) { const s = make(); const r = analyzeAll(spansByTrace(s.payloads.flatMap(p => decodeTracesProto(p).spans))); const cross = r.findings.filter((f) => !['broken-parent', 'multiple-roots', 'clock-skew'].includes(f.kind)); if (cross.length || r.stitches.length) console.log(s.name, cross.map(f => f.kind + '/' + f.subkind), r.stitches); }
console.log('done');
