import type { Page } from 'playwright-core';

/** The shell around every view: top bar, navigation, import, theme. */
export class AppShell {
  constructor(readonly page: Page) {}

  /** Opens the UI through the login URL (`?token=`), as a user pasting the printed address does. */
  async login(url: string, hash = ''): Promise<void> {
    await this.page.goto(`${url}${hash}`);
    await this.page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
  }

  /** Moves within the app as a link would (the page is not reloaded). */
  async go(hash: string): Promise<void> {
    await this.page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  }

  async tab(name: 'Traces' | 'Logs' | 'Findings' | 'Cluster' | 'SQL'): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name }).click();
  }

  async uploadFile(file: string): Promise<void> {
    await this.page.getByTestId('import-input').first().setInputFiles(file);
  }

  /** Drops a file on the window as a file manager would. */
  async dropFile(name: string, content: string): Promise<void> {
    const dataTransfer = await this.page.evaluateHandle(
      `(() => { const dt = new DataTransfer(); dt.items.add(new File([${JSON.stringify(content)}], ${JSON.stringify(name)})); return dt; })()`,
    );
    await this.page.locator('.app').dispatchEvent('drop', { dataTransfer });
  }

  importToast() {
    return this.page.getByTestId('import-toast');
  }

  stats() {
    return this.page.getByTestId('stats');
  }
}
