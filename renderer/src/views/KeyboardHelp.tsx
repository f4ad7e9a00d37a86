import { useEffect } from 'react';
import { create } from 'zustand';
import { Icon } from '../components/Icon';
import { KEY_HELP, type KeyGroup } from '../model/keys';

/** Whether the key went to a field being typed in, where it is text rather than a command. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable || !!el.closest?.('.monaco-editor'));
}

export const useKeyboardHelp = create<{ open: boolean }>()(() => ({ open: false }));

export function toggleKeyboardHelp(open = !useKeyboardHelp.getState().open): void {
  useKeyboardHelp.setState({ open });
}

/** `?` anywhere (but in a text field) lists every key the app handles; Esc, `?` or a click outside closes it. */
export function KeyboardHelp() {
  const open = useKeyboardHelp((s) => s.open);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { open } = useKeyboardHelp.getState();
      if (e.key === '?' && !isTyping(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        e.stopPropagation();
        toggleKeyboardHelp();
        return;
      }
      if (!open) return;
      // While the list is open the view behind it does not act on keys.
      if (e.key === 'Tab') return;
      e.stopPropagation();
      if (e.key === 'Escape') {
        e.preventDefault();
        toggleKeyboardHelp(false);
      }
    };
    // Capture, on the window: before the trace view's own keys and the object panel's Escape.
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  if (!open) return null;
  const tallest = KEY_HELP.reduce((a, b) => (b.keys.length > a.keys.length ? b : a));
  return (
    <div className="key-help-backdrop" onClick={(e) => e.target === e.currentTarget && toggleKeyboardHelp(false)}>
      <section className="key-help" role="dialog" aria-modal="true" aria-labelledby="key-help-title" data-testid="keyboard-help">
        <header className="key-help-head">
          <h2 id="key-help-title">Keyboard</h2>
          <button type="button" className="icon-button" onClick={() => toggleKeyboardHelp(false)} aria-label="Close" autoFocus>
            <Icon name="close" />
          </button>
        </header>
        <div className="key-help-groups">
          {/* the longest list on the right, the others stacked on the left */}
          <div className="key-help-col">
            {KEY_HELP.filter((g) => g !== tallest).map((g) => (
              <KeyGroupList key={g.title} group={g} />
            ))}
          </div>
          <div className="key-help-col">
            <KeyGroupList group={tallest} />
          </div>
        </div>
        <p className="muted small key-help-foot">
          Single keys act when no text field has the focus. Press <kbd>?</kbd> again or <kbd>Esc</kbd> to close.
        </p>
      </section>
    </div>
  );
}

function KeyGroupList({ group }: { group: KeyGroup }) {
  return (
    <div className="key-help-group">
      <h3>{group.title}</h3>
      <dl>
        {group.keys.map((k) => (
          <div key={`${k.keys.join()} ${k.does}`} className="key-help-row" data-testid="key-help-row">
            <dt>
              {k.keys.map((cap, i) => (
                <span key={cap}>
                  {i > 0 && <span className="muted"> or </span>}
                  <kbd>{cap}</kbd>
                </span>
              ))}
            </dt>
            <dd>{k.does}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
