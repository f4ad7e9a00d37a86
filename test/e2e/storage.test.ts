// End-to-end: the storage settings change retention at run time — the limits are checked as they are typed, applied
// at once (retention removes the oldest traces over the new size) and kept beside the database for the next start.
// Screenshots land in test-results/screenshots/storage-settings-*.png.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserSession, newPage, screenshot, startServe, storePaddedTraces, type Hopscope, type Theme } from './harness';
import { AppShell } from './pages/app';

let hopscope: Hopscope | undefined;
const session = browserSession(async () => {
  await hopscope?.close();
  hopscope = undefined;
});

describe('storage settings', () => {
  it.each(['light', 'dark'] as Theme[])('set how much is kept, checked as typed, applied at once and kept for the next start (%s)', async (theme) => {
    hopscope = await startServe({
      settleMs: 60_000,
      windowMs: 60_000,
      // About 20 MB of traces stored: twice what 10 MiB keeps.
      prepare: (db) => storePaddedTraces(db, 6000),
    });
    const { page, errors } = await newPage(session.browser, theme);
    session.pages.push(page);
    const app = new AppShell(page);
    await app.login(hopscope.ui.url);
    const button = page.getByTestId('storage-button');
    expect(await button.getAttribute('title')).toBe('Storage: keeps at most 1 GiB and 7d of data');
    await button.click();
    const dialog = page.getByTestId('storage-settings');
    const size = page.getByTestId('storage-size');
    const age = page.getByTestId('storage-age');
    expect(await size.inputValue()).toBe('1 GiB');
    expect(await age.inputValue()).toBe('7d');
    // what a lower limit does to the file: its space is reused, and the file shrinks at the next start
    expect(await dialog.textContent()).toContain('the file itself shrinks at the next start once a quarter of it or more is free');

    // Too little to keep anything, and an age without a unit: said under each field, and nothing can be saved.
    await size.fill('5MB');
    await age.fill('30');
    await expect.poll(() => dialog.textContent()).toContain('Size 5MB is too small: at least 10MiB');
    expect(await dialog.textContent()).toContain('Age wants a duration such as 12h, 7d or 4w, got "30"');
    expect(await page.getByTestId('storage-save').isDisabled()).toBe(true);
    await size.fill('10MiB');
    await age.fill('3d');
    await screenshot(page, 'storage-settings', theme);
    await page.getByTestId('storage-save').click();
    await dialog.waitFor({ state: 'detached' });

    // Applied at once: retention removes the oldest traces down to the new size, and the pill says so.
    const pill = page.getByTestId('retention-pill');
    await pill.waitFor({ timeout: 15_000 });
    expect(await pill.getAttribute('title')).toContain('the store keeps at most 10 MiB of data, and what arrived within the last 3 days.');
    expect(await button.getAttribute('title')).toBe('Storage: keeps at most 10 MiB and 3d of data');
    // Kept for the next start.
    expect(JSON.parse(readFileSync(path.join(hopscope.dataDir, 'retention.json'), 'utf8'))).toEqual({ maxBytes: 10 * 2 ** 20, maxAgeMs: 3 * 86_400_000 });

    // Esc closes it without saving.
    await button.click();
    await size.fill('20MiB');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(JSON.parse(readFileSync(path.join(hopscope.dataDir, 'retention.json'), 'utf8')).maxBytes).toBe(10 * 2 ** 20);
    expect(errors).toEqual([]);
  }, 120_000);
});
