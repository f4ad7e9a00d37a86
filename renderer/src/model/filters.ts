// What the trace search's text fields accept, and what to tell the user when they do not.

/**
 * Why an attribute filter cannot be used (names in backticks, for MarkedText), or undefined when it can. The API
 * takes `key` (present), `key=value` (equal, as text) and `key=prefix*` (a value that starts so), matched against
 * span, resource and log attributes.
 */
export function attributeFilterProblem(text: string): string | undefined {
  const pair = text.trim();
  if (pair.startsWith('=')) return 'The key is missing: use `key`, `key=value` or `key=prefix*`, e.g. `http.route=/api/orders*`';
  return undefined;
}

/** Why a Min/Max duration cannot be read, or undefined. */
export function durationProblem(text: string, parsed: string | undefined): string | undefined {
  return text.trim() !== '' && parsed === undefined ? 'Use a number and a unit: 250ms, 1.5s, 300µs, 2m (a bare number is milliseconds)' : undefined;
}
