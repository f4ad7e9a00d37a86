import type { Page } from 'playwright-core';

/** The shell around every view: top bar, navigation, import, theme. */
export class AppShell {
  constructor(readonly page: Page) {}

  /** Opens the UI through the login URL (`?token=`), as a user pasting the printed address does. */
  async login(url: string, hash = ''): Promise<void> {
    await this.page.goto(`${url}${hash}`);
    await this.page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
  }

  async go(hash: string): Promise<void> {
    await this.page.evaluate((h) => (window.location.hash = h), hash);
  }

  async tab(name: 'Traces' | 'Logs' | 'Findings'): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name }).click();
  }

  async uploadFile(file: string): Promise<void> {
    await this.page.getByTestId('import-input').first().setInputFiles(file);
  }

  importToast() {
    return this.page.getByTestId('import-toast');
  }

  stats() {
    return this.page.getByTestId('stats');
  }
}
