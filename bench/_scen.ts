import { sampling } from '../fixtures/sampling';
import { requestIds } from '../fixtures/dual-ids';
import { analyzeScenario, decodeScenario, scoreScenario, precision, recall } from '../fixtures/score';
const list = [() => sampling('spec-clean'), () => sampling('go-disagreement'), () => sampling('declared-mismatch'), () => sampling('dual-id-inflation'), () => requestIds('split'), () => requestIds('merge'), () => requestIds('clean')];
for (const make of list) {
  const s = make();
  const d = decodeScenario(s);
  const r = analyzeScenario(s, d);
  const sc = scoreScenario(s, r, d);
  console.log(s.name, 'stitches', sc.stitches, 'unexpected', sc.unexpected);
  for (const [k, c] of sc.findings) console.log('   ', k, c, 'P', precision(c).toFixed(3), 'R', recall(c).toFixed(3));
  for (const f of r.findings.filter(f => f.kind === 'sampling-skew' && f.subkind === 'rate-mismatch')) console.log('    ', f.service, JSON.stringify(f.evidence));
}
