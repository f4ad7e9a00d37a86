import { lostLogContext } from '../fixtures/log-context';
import { analyzeScenario, decodeScenario, scoreScenario, precision, recall } from '../fixtures/score';
for (const c of [1, 8, 32]) for (const lost of [true, false]) {
  const s = lostLogContext({ concurrency: c, requests: 500, lost });
  const d = decodeScenario(s);
  const r = analyzeScenario(s, d);
  const sc = scoreScenario(s, r, d);
  console.log(s.name, 'unexpected', sc.unexpected, 'lostLogs', sc.lostLogs);
  for (const [k, cnt] of sc.findings) console.log('   ', k, cnt, 'P', precision(cnt).toFixed(3), 'R', recall(cnt).toFixed(3));
}
