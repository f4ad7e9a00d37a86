/** A labelled select of names with an "any" entry first; `undefined` stands for that entry. */
export function ChoiceField({ label, anyLabel, options, value, onChange, disabled, testId }: { label: string; anyLabel: string; options: string[]; value?: string; onChange(value?: string): void; disabled?: boolean; testId: string }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <select value={value ?? ''} disabled={disabled} onChange={(e) => onChange(e.target.value || undefined)} data-testid={testId}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
}
