import type { Page } from 'playwright-core';
import { ObjectChipsPart } from './objects';

export class FindingsPage {
  constructor(readonly page: Page) {}

  items() {
    return this.page.getByTestId('finding-item');
  }

  detail() {
    return this.page.getByTestId('finding-detail');
  }

  /** The Kubernetes objects of the finding shown. */
  objects() {
    return new ObjectChipsPart(this.page, this.detail());
  }

  occurrences() {
    return this.page.getByTestId('occurrence');
  }

  stitchLinks() {
    return this.page.getByTestId('stitch-link');
  }
}
