import type { Page } from 'playwright-core';

export class TracesPage {
  constructor(readonly page: Page) {}

  rows() {
    return this.page.getByTestId('trace-row');
  }

  row(traceId: string) {
    return this.page.locator(`[data-testid="trace-row"][data-trace-id="${traceId}"]`);
  }

  /** The chip of the pod a trace's root span ran in, over its row. */
  podChip(traceId: string) {
    return this.page.locator(`[data-testid="trace-pod"][data-trace-id="${traceId}"]`).getByTestId('object-chip');
  }

  async traceIds(): Promise<string[]> {
    return this.rows().evaluateAll((els) => els.map((e) => e.getAttribute('data-trace-id') ?? ''));
  }

  async filterService(service: string): Promise<void> {
    await this.page.getByTestId('filter-service').selectOption(service === '' ? '' : { label: service });
  }

  async filterStatus(label: 'Any' | 'Errors' | 'OK'): Promise<void> {
    await this.page.getByRole('radiogroup', { name: 'Status' }).getByRole('radio', { name: label }).click();
  }

  async addAttribute(pair: string): Promise<void> {
    const input = this.page.getByTestId('filter-attribute');
    await input.fill(pair);
    await input.press('Enter');
  }

  async minDuration(text: string): Promise<void> {
    const input = this.page.getByTestId('duration-Min');
    await input.fill(text);
    await input.press('Enter');
  }

  async removeChip(label: string): Promise<void> {
    await this.page.getByRole('button', { name: `Remove ${label}` }).click();
  }

  /** Drags across the duration chart's plot from one fraction of its width to another. */
  async brush(from: number, to: number): Promise<void> {
    const plot = await this.page.locator('[data-testid="duration-chart"] .brush .overlay').boundingBox();
    if (!plot) throw new Error('the duration chart has no brush area');
    const y = plot.y + plot.height / 2;
    await this.page.mouse.move(plot.x + plot.width * from, y);
    await this.page.mouse.down();
    await this.page.mouse.move(plot.x + plot.width * to, y, { steps: 8 });
    await this.page.mouse.up();
  }

  async timeAxisLabels(): Promise<string[]> {
    return this.page.locator('[data-testid="duration-chart"] .axis-x .tick text').allTextContents();
  }

  async open(traceId: string): Promise<void> {
    await this.row(traceId).click();
  }

  resultCount() {
    return this.page.getByTestId('result-count');
  }
}

export class EmptyStatePage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('empty-state');
  }

  envBlocks() {
    return this.page.getByTestId('env-block');
  }

  async openFile(): Promise<void> {
    await this.root().getByTestId('import-button').click();
  }

  async sendTestTrace(): Promise<void> {
    await this.page.getByTestId('send-test-trace').click();
  }
}
