import type { Page } from 'playwright-core';
import { ObjectChipsPart } from './objects';

/** The waterfall of one trace and the span detail beside it. */
export class TracePage {
  readonly detail: SpanDetailPanel;

  constructor(readonly page: Page) {
    this.detail = new SpanDetailPanel(page);
  }

  async waitLoaded(): Promise<void> {
    await this.page.getByTestId('waterfall').waitFor();
  }

  spanRows() {
    return this.page.getByTestId('span-row');
  }

  /** All rows rendered in the DOM (spans and missing-parent placeholders). */
  async renderedRowCount(): Promise<number> {
    return this.page.locator('.waterfall [role="treeitem"]').count();
  }

  /** "(visible of total rows)" from the waterfall header. */
  async rowCounts(): Promise<{ visible: number; total: number }> {
    const text = (await this.page.locator('.wf-header .wf-name .muted').textContent()) ?? '';
    const m = /\(([\d,]+) of ([\d,]+) rows\)/.exec(text);
    if (!m) throw new Error(`no row counts in ${JSON.stringify(text)}`);
    return { visible: Number(m[1].replace(/,/g, '')), total: Number(m[2].replace(/,/g, '')) };
  }

  row(spanId: string) {
    return this.page.locator(`[data-testid="span-row"][data-span-id="${spanId}"]`);
  }

  rowNamed(name: string) {
    return this.spanRows().filter({ has: this.page.locator('.wf-op', { hasText: name }) });
  }

  placeholderRows() {
    return this.page.getByTestId('placeholder-row');
  }

  async selectedSpanId(): Promise<string | null> {
    return this.page.locator('[role="treeitem"][aria-selected="true"]').getAttribute('data-span-id');
  }

  async selectedName(): Promise<string> {
    return (await this.page.locator('[role="treeitem"][aria-selected="true"] .wf-op').textContent()) ?? '';
  }

  async press(...keys: string[]): Promise<void> {
    for (const key of keys) await this.page.keyboard.press(key);
  }

  async toggle(spanId: string): Promise<void> {
    await this.row(spanId).getByRole('button', { name: /Collapse|Expand/ }).click();
  }

  async search(text: string): Promise<void> {
    await this.page.keyboard.press('/');
    await this.page.keyboard.type(text);
    await this.page.keyboard.press('Enter');
  }

  traceId() {
    return this.page.getByTestId('trace-id');
  }
}

export class SpanDetailPanel {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('span-detail');
  }

  async spanId(): Promise<string | null> {
    return this.root().getAttribute('data-span-id');
  }

  async tab(name: 'attributes' | 'events' | 'links' | 'logs' | 'json'): Promise<void> {
    await this.page.getByTestId(`tab-${name}`).click();
  }

  attributeValue(key: string) {
    return this.root().locator(`.attr-row[data-key="${key}"] .attr-text`).first();
  }

  async filterAttributes(text: string): Promise<void> {
    await this.page.getByTestId('attribute-filter').fill(text);
  }

  links() {
    return this.page.getByTestId('span-link');
  }

  logs() {
    return this.page.getByTestId('span-log');
  }

  json() {
    return this.page.getByTestId('json-view');
  }

  /** The Kubernetes objects behind the span. */
  objects() {
    return new ObjectChipsPart(this.page, this.root());
  }
}
