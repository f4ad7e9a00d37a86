// End-to-end: the SQL console in a real Chromium against a real store, API server and OTLP receiver. An endless query
// runs until the user cancels it; the UI says so and the next query runs. Screenshots land in test-results/screenshots.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqlConsoleOf } from '../../collector/api/handlers/sql';
import { span, spanId, traceId } from '../../collector/store/testing';
import { launchBrowser, newPage, screenshot, startHopscope, type Hopscope, type Theme } from './harness';
import { AppShell } from './pages/app';

const ENDLESS = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)\nSELECT count(*) FROM c`;

/** A query's process starts from TypeScript in a checkout: seconds, the first time. */
const SLOW = { timeout: 20_000 };

let browser: Browser;
let hopscope: Hopscope | undefined;
const pages: Page[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const p of pages.splice(0)) await p.context().close();
  if (hopscope) await sqlConsoleOf(hopscope.store.reader).console.close();
  await hopscope?.close();
  hopscope = undefined;
});

/** The SQL view as a user meets it. */
class SqlPage {
  constructor(readonly page: Page) {}
  input = () => this.page.getByTestId('sql-input');
  status = () => this.page.getByTestId('sql-status');
  error = () => this.page.getByTestId('sql-error');
  result = () => this.page.getByTestId('sql-result');
  async type(sql: string): Promise<void> {
    await this.input().fill(sql);
  }
  async run(): Promise<void> {
    await this.page.getByTestId('sql-run').click();
  }
  async cancel(): Promise<void> {
    await this.page.getByTestId('sql-cancel').click();
  }
}

async function open(theme: Theme): Promise<{ page: Page; sql: SqlPage; errors: string[] }> {
  const { page, errors } = await newPage(browser, theme);
  pages.push(page);
  await new AppShell(page).login(hopscope!.ui.url);
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'SQL' }).click();
  const sql = new SqlPage(page);
  await sql.input().waitFor();
  return { page, sql, errors };
}

describe('SQL console', () => {
  it.each<Theme>(['light', 'dark'])('cancels an endless query and runs the next one (%s)', async (theme) => {
    hopscope = await startHopscope({ receivers: true });
    await hopscope.store.write({ spans: [1, 2, 3].map((n) => span({ traceId: traceId(n), spanId: spanId(n), name: `op${n}` })), logs: [] });
    const { page, sql, errors } = await open(theme);
    const queries = sqlConsoleOf(hopscope.store.reader).console;

    await sql.type(ENDLESS);
    await page.getByTestId('sql-timeout').selectOption('60000');
    await sql.run();
    await expect.poll(() => sql.status().textContent(), SLOW).toMatch(/^Running…/);
    await expect.poll(() => queries.running, SLOW).toBe(1);
    await screenshot(page, 'sql-console-running', theme);

    await sql.cancel();
    await expect.poll(() => sql.status().textContent(), SLOW).toMatch(/^Query cancelled after \d+\.\d s$/);
    // The server stopped the query too: nothing runs any more.
    await expect.poll(() => queries.running, SLOW).toBe(0);
    await screenshot(page, 'sql-console-cancelled', theme);

    await sql.type(`SELECT name, length(name) AS letters, NULL AS missing FROM spans ORDER BY name`);
    await sql.input().press('Control+Enter');
    await expect.poll(() => page.locator('.sql-status-bar').textContent(), SLOW).toMatch(/^3 rows/);
    await expect.poll(() => sql.result().getByRole('row').allTextContents(), SLOW).toEqual(['#namelettersmissing', '1op13NULL', '2op23NULL', '3op33NULL']);
    await screenshot(page, 'sql-console-result', theme);
    expect(errors).toEqual([]);
  });

  it('shows a refusal and a cut answer as such', async () => {
    hopscope = await startHopscope();
    const { page, sql, errors } = await open('light');

    await sql.type(`PRAGMA "query_only"=0`);
    await sql.run();
    await expect.poll(() => sql.error().textContent(), SLOW).toBe('SQL: only statements that read are allowed: PRAGMA "query_only"=0 would change a setting');

    await sql.type(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) SELECT x, printf('%.100c', 'y') AS pad FROM c`);
    await page.getByTestId('sql-max-rows').fill('100000');
    // A loaded machine may need more than the default 5 s; what is checked here is the size limit.
    await page.getByTestId('sql-timeout').selectOption('60000');
    await sql.run();
    await expect.poll(() => page.getByTestId('sql-truncated').textContent(), SLOW).toMatch(/showing the first [\d,]+ rows: the answer stops before 8 MiB/);
    await screenshot(page, 'sql-console-truncated', 'light');
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
