// Every key the app handles, as the keyboard help lists them. The trace view binds its keys from
// TRACE_VIEW_KEYS, so the list and the bindings cannot drift apart.

/** What a key does in the trace view (outside its search box). */
export type TraceKeyAction = 'next' | 'previous' | 'pageDown' | 'pageUp' | 'first' | 'last' | 'foldOrParent' | 'unfoldOrChild' | 'toggle' | 'nextMatch' | 'previousMatch' | 'deselect';

/** KeyboardEvent.key → action, in the trace view. `/` (focus the search) is handled before these. */
export const TRACE_VIEW_KEYS: Readonly<Record<string, TraceKeyAction>> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'previous',
  ArrowUp: 'previous',
  PageDown: 'pageDown',
  PageUp: 'pageUp',
  Home: 'first',
  End: 'last',
  ArrowLeft: 'foldOrParent',
  h: 'foldOrParent',
  ArrowRight: 'unfoldOrChild',
  l: 'unfoldOrChild',
  Enter: 'toggle',
  ' ': 'toggle',
  n: 'nextMatch',
  N: 'previousMatch',
  Escape: 'deselect',
};

const TRACE_ACTION_HELP: Record<TraceKeyAction, string> = {
  next: 'Next span',
  previous: 'Previous span',
  pageDown: '20 spans down',
  pageUp: '20 spans up',
  first: 'First span',
  last: 'Last span',
  foldOrParent: 'Fold the span, or go to its parent',
  unfoldOrChild: 'Unfold the span, or go to its first child',
  toggle: 'Fold or unfold the span',
  nextMatch: 'Next search match',
  previousMatch: 'Previous search match',
  deselect: 'Close the span detail',
};

/** How a KeyboardEvent.key is written on a key cap. */
export function keyLabel(key: string): string {
  const names: Record<string, string> = {
    ArrowDown: '↓',
    ArrowUp: '↑',
    ArrowLeft: '←',
    ArrowRight: '→',
    PageDown: 'PgDn',
    PageUp: 'PgUp',
    Escape: 'Esc',
    ' ': 'Space',
    N: 'Shift+N',
  };
  return names[key] ?? key;
}

export interface KeyHelp {
  /** Key caps, any of which does it; one cap may name a chord ("Shift+Enter"). */
  keys: string[];
  does: string;
}

export interface KeyGroup {
  title: string;
  keys: KeyHelp[];
}

function traceViewHelp(): KeyHelp[] {
  const byAction = new Map<TraceKeyAction, string[]>();
  for (const [key, action] of Object.entries(TRACE_VIEW_KEYS)) byAction.set(action, [...(byAction.get(action) ?? []), keyLabel(key)]);
  return [{ keys: ['/'], does: 'Search the spans' }, ...[...byAction].map(([action, keys]) => ({ keys, does: TRACE_ACTION_HELP[action] }))];
}

export const KEY_HELP: readonly KeyGroup[] = [
  {
    title: 'Everywhere',
    keys: [
      { keys: ['?'], does: 'Show or hide these keys' },
      { keys: ['Esc'], does: 'Close this list, or the Kubernetes object panel' },
      { keys: ['Ctrl+O', '⌘O'], does: 'Open a trace file (desktop app)' },
    ],
  },
  { title: 'Trace', keys: traceViewHelp() },
  {
    title: 'Span search box',
    keys: [
      { keys: ['Enter'], does: 'Next match' },
      { keys: ['Shift+Enter'], does: 'Previous match' },
      { keys: ['Esc'], does: 'Clear the search' },
    ],
  },
  {
    // renderer/src/views/SqlConsoleView.tsx, in its query box
    title: 'SQL console',
    keys: [
      { keys: ['Ctrl+Enter', '⌘Enter'], does: 'Run the query' },
      { keys: ['Esc'], does: 'Stop the query running' },
    ],
  },
  {
    title: 'Filters and chips',
    keys: [
      { keys: ['Enter'], does: 'Add the attribute filter, or apply a Min/Max duration' },
      { keys: ['Enter', 'Space'], does: 'Open the Kubernetes object of a focused chip' },
    ],
  },
];
