import type { Page } from 'playwright-core';

export class LogsPage {
  constructor(readonly page: Page) {}

  rows() {
    return this.page.getByTestId('log-row');
  }

  async search(text: string): Promise<void> {
    await this.page.getByTestId('logs-text').fill(text);
  }

  async minSeverity(label: string): Promise<void> {
    await this.page.getByTestId('logs-severity').selectOption({ label });
  }

  async openSpanOf(row: number): Promise<void> {
    await this.rows().nth(row).getByTestId('log-span-link').click();
  }

  async select(row: number): Promise<void> {
    await this.rows().nth(row).click();
  }

  detail() {
    return this.page.getByTestId('log-detail');
  }
}
