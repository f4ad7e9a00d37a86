import { describe, expect, it } from 'vitest';
import { KEY_HELP, keyLabel, TRACE_VIEW_KEYS } from './keys';

describe('KEY_HELP', () => {
  const listed = (title: string) => KEY_HELP.find((g) => g.title === title)!.keys.flatMap((k) => k.keys);

  it('lists every key the trace view binds, as written on the key cap', () => {
    const trace = listed('Trace');
    for (const key of Object.keys(TRACE_VIEW_KEYS)) expect(trace).toContain(keyLabel(key));
    expect(trace).toContain('/');
    expect(trace).toEqual(expect.arrayContaining(['j', '↓', 'k', '↑', 'PgDn', 'PgUp', 'Home', 'End', '←', 'h', '→', 'l', 'Enter', 'Space', 'n', 'Shift+N', 'Esc']));
  });

  it('lists the keys of the search box, the panels and itself', () => {
    expect(listed('Everywhere')).toEqual(expect.arrayContaining(['?', 'Esc']));
    expect(listed('Span search box')).toEqual(['Enter', 'Shift+Enter', 'Esc']);
    expect(listed('SQL console')).toEqual(['Ctrl+Enter', '⌘Enter', 'Esc']);
  });

  it('says what each key does, once per action', () => {
    for (const group of KEY_HELP) {
      const does = group.keys.map((k) => k.does);
      expect(new Set(does).size).toBe(does.length);
      for (const k of group.keys) expect(k.does).not.toBe('');
    }
  });
});
