import type { Locator, Page } from 'playwright-core';

/** The Kubernetes object chips of a finding or span, and the panel a chip opens. */
export class ObjectChipsPart {
  constructor(
    readonly page: Page,
    private readonly scope: Locator,
  ) {}

  chips() {
    return this.scope.getByTestId('object-chip');
  }

  chip(name: string) {
    return this.chips().filter({ has: this.page.getByText(name, { exact: true }) });
  }

  /** The chips' texts, as `kind name status…`. */
  async texts(): Promise<string[]> {
    return (await this.chips().allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  hint() {
    return this.scope.getByTestId('object-hint');
  }

  /** Opens a chip's panel from the keyboard, as a person tabbing to it would. */
  async openWithKeyboard(name: string): Promise<void> {
    await this.chip(name).focus();
    await this.page.keyboard.press('Enter');
    await this.shown();
  }

  panel() {
    return this.scope.getByTestId('object-panel');
  }

  /** Waits until the panel shows an object (of this kind) in full, not its name while it loads. */
  async shown(kind?: string): Promise<void> {
    await this.scope.locator(`[data-testid="object-panel"][aria-busy="false"]${kind ? `[data-kind="${kind}"]` : ''}`).waitFor();
  }

  /** The value of a fact in the open panel (Phase, Node, Owned by, …). */
  fact(label: string) {
    return this.panel()
      .locator('.object-facts > div')
      .filter({ has: this.page.locator('.fact-label', { hasText: new RegExp(`^${label}$`) }) })
      .locator('.fact-value');
  }

  /** Rows of the panel's conditions table as `type status reason`. */
  async conditions(): Promise<string[]> {
    const table = this.panel().locator('.detail-section', { hasText: 'Conditions' }).locator('tbody tr');
    return (await table.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  containers() {
    return this.panel().getByTestId('container');
  }

  /** The events listed, as `reason` each. */
  async eventReasons(): Promise<string[]> {
    return this.panel().locator('[data-testid="object-event"] .event-reason').allTextContents();
  }

  events() {
    return this.panel().getByTestId('object-event');
  }
}
