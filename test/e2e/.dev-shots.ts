import { launchBrowser, newPage, startHopscope } from './harness';
import { buildTestTrace } from '../../collector/api/testTrace';
import { importFile } from '../../collector/importers';
import { corpusPath } from '../corpus';

const h = await startHopscope();
for (let i = 0; i < 6; i++) await h.store.write(buildTestTrace(BigInt(Date.now() - i * 7000) * 1_000_000n));
await importFile(corpusPath('otel-tui/test_data.json'), (b) => h.store.write(b), {});
await h.store.flush();
const browser = await launchBrowser();
const views = process.argv.slice(2);
const first = (await h.store.reader.searchTraces({ service: 'frontend', limit: 1 })).items[0];
for (const theme of ['light', 'dark'] as const) {
  const { page, errors } = await newPage(browser, theme);
  await page.goto(h.ui.url);
  await page.waitForTimeout(800);
  await page.screenshot({ path: `/tmp/dev/traces-${theme}.png` });
  await page.goto(`${h.ui.origin}/#/trace/${first.traceId}`);
  await page.waitForTimeout(800);
  await page.locator('[data-testid="span-row"]').nth(9).click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `/tmp/dev/trace-${theme}.png` });
  if (views.includes('json')) {
    await page.getByTestId('tab-json').click();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `/tmp/dev/json-${theme}.png` });
  }
  await page.goto(`${h.ui.origin}/#/logs`);
  await page.waitForTimeout(800);
  await page.locator('[data-testid="log-row"]').nth(1).click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `/tmp/dev/logs-${theme}.png` });
  console.log(theme, errors);
}
await browser.close();
await h.close();
