import type { Page } from 'playwright-core';
import { ObjectChipsPart } from './objects';

/** The Cluster view: the connection bar, its empty states and notices, the workloads table and the object panel. */
export class ClusterPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('cluster-view');
  }

  /** The state shown before a cluster is watched; `data-state` says which (no-kubeconfig, not-connected, …). */
  empty() {
    return this.page.getByTestId('cluster-empty');
  }

  contexts() {
    return this.page.getByTestId('context-item');
  }

  async connect(context: string, namespaces: string[] = []): Promise<void> {
    await this.page.getByTestId('context-select').selectOption(context);
    await this.page.getByTestId('namespaces-input').fill(namespaces.join(', '));
    await this.page.getByTestId('connect-button').click();
  }

  async disconnect(): Promise<void> {
    await this.page.getByTestId('disconnect-button').click();
  }

  /** The watch's one-line status; `data-health` is off, syncing, synced or problems. */
  watchStatus() {
    return this.page.getByTestId('watch-status');
  }

  /** The rows of the per-resource watch table (opened from the status), as `resource namespace state objects restarts last` texts. */
  async watches(): Promise<string[]> {
    await this.page.getByTestId('cluster-watches').waitFor();
    return (await this.page.getByTestId('cluster-watches').locator('tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  problems() {
    return this.page.getByTestId('cluster-problem');
  }

  namespaces() {
    return this.page.getByTestId('namespace-group');
  }

  async namespaceNames(): Promise<string[]> {
    return this.namespaces().evaluateAll((els) => els.map((e) => e.getAttribute('data-namespace') ?? ''));
  }

  /** A row by `Kind/name`. */
  row(workload: string) {
    return this.page.locator(`[data-testid="workload-row"][data-workload="${workload}"]`);
  }

  /** The rows as `Kind name ready pods restarts findings` texts. */
  async rowTexts(): Promise<string[]> {
    return (await this.page.getByTestId('workload-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  }

  /** The rows, as `Kind/name`. */
  async workloads(): Promise<string[]> {
    return this.page.getByTestId('workload-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-workload') ?? ''));
  }

  /** Each row's Ready column. */
  async readiness(): Promise<string[]> {
    return this.page.locator('[data-testid="workload-row"] .ready-col').allInnerTexts();
  }

  /** Each row's Restarts column. */
  async restarts(): Promise<string[]> {
    return this.page.locator('[data-testid="workload-row"] .restarts-col').allInnerTexts();
  }

  podChips(workload: string) {
    return this.row(workload).getByTestId('pod-chip');
  }

  findingsBadge(workload: string) {
    return this.row(workload).getByTestId('findings-badge');
  }

  async filter(text: string): Promise<void> {
    await this.page.getByTestId('workload-search').fill(text);
  }

  /** The object panel beside the table, with the same helpers as on findings and spans. */
  objects() {
    return new ObjectChipsPart(this.page, this.root());
  }
}
