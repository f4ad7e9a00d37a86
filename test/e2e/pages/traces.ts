import type { Page } from 'playwright-core';

export class TracesPage {
  constructor(readonly page: Page) {}

  rows() {
    return this.page.getByTestId('trace-row');
  }

  row(traceId: string) {
    return this.page.locator(`[data-testid="trace-row"][data-trace-id="${traceId}"]`);
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

  async sendTestTrace(): Promise<void> {
    await this.page.getByTestId('send-test-trace').click();
  }
}
