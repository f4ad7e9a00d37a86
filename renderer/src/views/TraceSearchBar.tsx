import { useState } from 'react';
import { ChoiceField } from '../components/ChoiceField';
import { Icon } from '../components/Icon';
import { MarkedText } from '../components/MarkedText';
import { attributeFilterProblem, durationProblem } from '../model/filters';
import { formatDuration, formatTimestamp, parseDuration } from '../model/format';
import { useTraceSearch } from '../stores/traceSearch';

function DurationInput({ label, value, onChange }: { label: string; value?: string; onChange(ns?: string): void }) {
  const [text, setText] = useState(value ? formatDuration(Number(value)).replace(' ', '') : '');
  const [problem, setProblem] = useState<string>();
  const commit = () => {
    if (text.trim() === '') {
      setProblem(undefined);
      onChange(undefined);
      return;
    }
    const ns = parseDuration(text);
    setProblem(durationProblem(text, ns));
    if (ns !== undefined) onChange(ns);
  };
  const id = `duration-${label}-problem`;
  return (
    <label className={`field duration-field ${problem ? 'invalid' : ''}`} title={problem}>
      <span className="field-label">{label}</span>
      <input
        value={text}
        placeholder="e.g. 100ms"
        aria-label={`${label} duration`}
        aria-invalid={problem !== undefined}
        aria-describedby={problem ? id : undefined}
        data-testid={`duration-${label}`}
        onChange={(e) => {
          setText(e.target.value);
          setProblem(undefined);
        }}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
      {problem && (
        <span className="field-problem" id={id} role="alert">
          {problem}
        </span>
      )}
    </label>
  );
}

export function TraceSearchBar() {
  const filter = useTraceSearch((s) => s.filter);
  const services = useTraceSearch((s) => s.services);
  const operations = useTraceSearch((s) => s.operations);
  const setFilter = useTraceSearch((s) => s.setFilter);
  const [attr, setAttr] = useState('');
  const [attrProblem, setAttrProblem] = useState<string>();

  const addAttr = () => {
    const pair = attr.trim();
    const problem = attributeFilterProblem(pair);
    setAttrProblem(problem);
    if (!pair || problem) return;
    setFilter({ attributes: [...(filter.attributes ?? []).filter((a) => a !== pair), pair] });
    setAttr('');
  };

  return (
    <div className="searchbar" role="search">
      <ChoiceField label="Service" anyLabel="All services" options={services} value={filter.service} onChange={(service) => setFilter({ service })} testId="filter-service" />
      <ChoiceField label="Operation" anyLabel="All operations" options={operations} value={filter.operation} disabled={!filter.service} onChange={(operation) => setFilter({ operation })} testId="filter-operation" />
      <DurationInput label="Min" value={filter.minDurationNs} onChange={(minDurationNs) => setFilter({ minDurationNs })} />
      <DurationInput label="Max" value={filter.maxDurationNs} onChange={(maxDurationNs) => setFilter({ maxDurationNs })} />
      <div className="field">
        <span className="field-label">Status</span>
        <div className="segmented" role="radiogroup" aria-label="Status">
          {(
            [
              [undefined, 'Any'],
              ['error', 'Errors'],
              ['ok', 'OK'],
            ] as const
          ).map(([value, label]) => (
            <button key={label} type="button" role="radio" aria-checked={filter.status === value} className={filter.status === value ? 'on' : ''} onClick={() => setFilter({ status: value })}>
              {label}
            </button>
          ))}
        </div>
      </div>
      <label className={`field attr-field ${attrProblem ? 'invalid' : ''}`} title={attrProblem?.replace(/`/g, '') ?? 'An attribute of a span, a resource or a log: key=value (equal), key=prefix* (starts with), key (present)'}>
        <span className="field-label">Attribute</span>
        <input
          value={attr}
          placeholder="key=value, key=pre*, key; Enter"
          aria-invalid={attrProblem !== undefined}
          aria-describedby={attrProblem ? 'attr-problem' : undefined}
          data-testid="filter-attribute"
          onChange={(e) => {
            setAttr(e.target.value);
            setAttrProblem(undefined);
          }}
          onKeyDown={(e) => e.key === 'Enter' && addAttr()}
          onBlur={addAttr}
        />
        {attrProblem && (
          <span className="field-problem" id="attr-problem" role="alert" data-testid="attr-problem">
            <MarkedText text={attrProblem} />
          </span>
        )}
      </label>
      <div className="field">
        <span className="field-label">&nbsp;</span>
        <button type="button" className={`toggle ${filter.hasFinding ? 'on' : ''}`} aria-pressed={!!filter.hasFinding} onClick={() => setFilter({ hasFinding: filter.hasFinding ? undefined : true })}>
          <Icon name="flag" size={14} /> With findings
        </button>
      </div>
      {(filter.attributes?.length || filter.fromNs) && (
        <div className="chips">
          {filter.attributes?.map((a) => (
            <span className="chip" key={a}>
              <code>{a}</code>
              <button type="button" aria-label={`Remove ${a}`} onClick={() => setFilter({ attributes: filter.attributes!.filter((x) => x !== a) })}>
                <Icon name="close" size={12} />
              </button>
            </span>
          ))}
          {filter.fromNs && filter.toNs && (
            <span className="chip" data-testid="time-range-chip">
              <Icon name="clock" size={12} /> {formatTimestamp(filter.fromNs)} – {formatTimestamp(filter.toNs)}
              <button type="button" aria-label="Clear time range" onClick={() => setFilter({ fromNs: undefined, toNs: undefined })}>
                <Icon name="close" size={12} />
              </button>
            </span>
          )}
        </div>
      )}
    </div>
  );
}
