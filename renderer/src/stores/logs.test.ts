import { describe, expect, it, vi } from 'vitest';

// The store's module makes the app's API client, which reads the page's origin.
vi.stubGlobal('window', { location: { origin: 'http://127.0.0.1:9' } });
const { useLogs } = await import('./logs');

describe('logs filter', () => {
  it('keeps the filter (and so the selection) when set to what it already is, and changes it otherwise', () => {
    const { setFilter, select } = useLogs.getState();
    setFilter({ service: 'checkout', text: 'timeout' });
    const filter = useLogs.getState().filter;
    select(3);
    // what the text field's debounce and a route without a trace do on opening the view
    setFilter({ text: 'timeout' });
    setFilter({ traceId: undefined, spanId: undefined });
    expect(useLogs.getState().filter).toBe(filter);
    expect(useLogs.getState().selected).toBe(3);
    setFilter({ text: 'timeouts' });
    expect(useLogs.getState().filter).toEqual({ service: 'checkout', text: 'timeouts' });
    setFilter({ text: '' });
    expect(useLogs.getState().filter).toEqual({ service: 'checkout' });
  });
});
