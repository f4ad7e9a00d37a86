import { useEffect, useState } from 'react';
import { create } from 'zustand';
import { formatAgeLimit, formatSize, parseAge, parseSize } from '../../../common/retention';
import type { WireRetention } from '../../../common/wire';
import { api } from '../api';
import { Icon } from '../components/Icon';
import { formatCount, plural } from '../model/format';
import { useLive } from '../stores/live';

const useStorageSettings = create<{ open: boolean }>()(() => ({ open: false }));

/** The top bar's button: how much Hopscope keeps, and the way to change it. */
export function StorageButton() {
  const retention = useLive((s) => s.stats?.retention);
  if (!retention?.settable) return null;
  return (
    <button
      type="button"
      className="icon-button"
      onClick={() => useStorageSettings.setState({ open: true })}
      title={`Storage: keeps at most ${formatSize(retention.maxBytes)} and ${formatAgeLimit(retention.maxAgeMs)} of data`}
      aria-label="Storage settings"
      data-testid="storage-button"
    >
      <Icon name="database" />
    </button>
  );
}

/** The storage settings: retention's size and age, applied at once and kept for the next start. */
export function StorageSettings() {
  const open = useStorageSettings((s) => s.open);
  const retention = useLive((s) => s.stats?.retention);
  if (!open || !retention) return null;
  return <StorageDialog retention={retention} close={() => useStorageSettings.setState({ open: false })} />;
}

function StorageDialog({ retention, close }: { retention: WireRetention; close: () => void }) {
  const [size, setSize] = useState(formatSize(retention.maxBytes));
  const [age, setAge] = useState(formatAgeLimit(retention.maxAgeMs));
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<string>();
  const parsedSize = parseSize(size);
  const parsedAge = parseAge(age);
  const valid = 'value' in parsedSize && 'value' in parsedAge;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      e.stopPropagation();
      close();
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [close]);

  const save = async () => {
    if (!('value' in parsedSize) || !('value' in parsedAge)) return;
    setSaving(true);
    setFailure(undefined);
    try {
      const next = await api.setRetention({ maxBytes: parsedSize.value, maxAgeMs: parsedAge.value });
      useLive.setState((s) => (s.stats ? { stats: { ...s.stats, retention: next } } : {}));
      close();
    } catch (err) {
      setFailure((err as Error).message);
      setSaving(false);
    }
  };

  const removed = retention.removedTraces;
  return (
    <div className="key-help-backdrop" onClick={(e) => e.target === e.currentTarget && close()}>
      <form
        className="key-help storage-settings"
        role="dialog"
        aria-modal="true"
        aria-labelledby="storage-title"
        data-testid="storage-settings"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <header className="key-help-head">
          <h2 id="storage-title">Storage</h2>
          <button type="button" className="icon-button" onClick={close} aria-label="Close">
            <Icon name="close" />
          </button>
        </header>
        <p className="muted small">
          Hopscope keeps the newest telemetry within both limits; past them the oldest traces go first, with their logs and findings.
          {removed > 0 ? ` Since start it removed ${formatCount(removed)} ${plural(removed, 'trace')}.` : ''} New data reuses the space they
          leave; the file itself shrinks at the next start once a quarter of it or more is free.
        </p>
        <label className={`field ${'error' in parsedSize ? 'invalid' : ''}`}>
          <span className="field-label">Keep at most</span>
          <input value={size} onChange={(e) => setSize(e.target.value)} aria-invalid={'error' in parsedSize} data-testid="storage-size" autoFocus spellCheck={false} />
          <span className={`field-note ${'error' in parsedSize ? 'error' : 'muted'}`}>{'error' in parsedSize ? `Size ${parsedSize.error}` : 'of data (KB, MB, GB, KiB, MiB, GiB)'}</span>
        </label>
        <label className={`field ${'error' in parsedAge ? 'invalid' : ''}`}>
          <span className="field-label">Keep what arrived within</span>
          <input value={age} onChange={(e) => setAge(e.target.value)} aria-invalid={'error' in parsedAge} data-testid="storage-age" spellCheck={false} />
          <span className={`field-note ${'error' in parsedAge ? 'error' : 'muted'}`}>{'error' in parsedAge ? `Age ${parsedAge.error}` : 'm, h, d or w, e.g. 12h, 7d, 4w'}</span>
        </label>
        {failure && (
          <p className="field-note error" role="alert">
            {failure}
          </p>
        )}
        <footer className="storage-actions">
          <span className="muted small">Applies now and at the next start (hopscope serve --max-db-size / --max-age win over it).</span>
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!valid || saving} data-testid="storage-save">
            {saving ? 'Saving…' : 'Save'}
          </button>
        </footer>
      </form>
    </div>
  );
}
