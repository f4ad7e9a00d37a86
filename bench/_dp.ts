import { alignInOrder } from '../collector/analysis/assignment';
import { seededRandom } from '../fixtures/ids';
const r = seededRandom(5);
function brute(m: number, n: number, w: (i: number, j: number) => number, lo: Int32Array, hi: Int32Array): number {
  const D: number[][] = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let j = 1; j <= n; j++) for (let i = 1; i <= m; i++) {
    const ww = i - 1 >= lo[j - 1] && i - 1 <= hi[j - 1] ? w(i - 1, j - 1) : 0;
    D[j][i] = Math.max(D[j - 1][i], D[j][i - 1], ww > 0 ? D[j - 1][i - 1] + ww : -Infinity);
  }
  return D[n][m];
}
for (let t = 0; t < 2000; t++) {
  const m = 1 + Math.floor(r() * 6), n = 1 + Math.floor(r() * 6);
  const W = Array.from({ length: m }, () => Array.from({ length: n }, () => (r() < 0.3 ? 0 : Math.round(r() * 10))));
  const lo = new Int32Array(n), hi = new Int32Array(n);
  let a = 0, b = -1;
  for (let j = 0; j < n; j++) { if (r() < 0.3) a = Math.min(m, a + 1); if (r() < 0.6) b = Math.min(m - 1, b + 1 + Math.floor(r() * 2)); lo[j] = a; hi[j] = Math.max(b, -1); }
  const w = (i: number, j: number) => W[i][j];
  const match = alignInOrder(m, lo, hi, w);
  let total = 0, last = -1, ok = true;
  match.forEach((i, j) => { if (i >= 0) { if (i <= last || i < lo[j] || i > hi[j] || W[i][j] <= 0) ok = false; last = i; total += W[i][j]; } });
  const best = brute(m, n, w, lo, hi);
  if (!ok || total !== best) { console.log('MISMATCH', { m, n, W, lo: [...lo], hi: [...hi], match: [...match], total, best, ok }); break; }
}
console.log('done');
