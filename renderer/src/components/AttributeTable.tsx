import type { WireAttributes } from '../../../common/wire';
import { attributeEntries } from '../model/values';
import { CopyButton } from './CopyButton';

/** Key/value rows with the value's type on hover and a copy button; `filter` hides rows that do not contain it. */
export function AttributeTable({ attributes, filter = '', empty = 'No attributes' }: { attributes: WireAttributes; filter?: string; empty?: string }) {
  const needle = filter.trim().toLowerCase();
  const entries = attributeEntries(attributes).filter(([k, v]) => !needle || k.toLowerCase().includes(needle) || v.toLowerCase().includes(needle));
  if (entries.length === 0) return <div className="muted small attr-empty">{needle ? 'No match' : empty}</div>;
  return (
    <dl className="attr-table">
      {entries.map(([key, value, type]) => (
        <div className="attr-row" key={key} data-key={key}>
          <dt title={key}>{key}</dt>
          <dd className={`attr-value type-${type}`} title={`${type}: ${value}`}>
            <span className="attr-text">{value === '' && type === 'string' ? '""' : value}</span>
            <CopyButton text={value} label={`Copy ${key}`} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
