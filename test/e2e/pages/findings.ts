import type { Page } from 'playwright-core';

export class FindingsPage {
  constructor(readonly page: Page) {}

  items() {
    return this.page.getByTestId('finding-item');
  }

  detail() {
    return this.page.getByTestId('finding-detail');
  }

  occurrences() {
    return this.page.getByTestId('occurrence');
  }

  stitchLinks() {
    return this.page.getByTestId('stitch-link');
  }
}
