// What the trace search's text fields accept, and what to tell the user when they do not.

/**
 * Why an attribute filter cannot be used (names in backticks, for MarkedText), or undefined when it can. The API matches `key=value` exactly (span or
 * resource attribute); it has no "key exists" test, so a bare key is refused with the form to use instead.
 */
export function attributeFilterProblem(text: string): string | undefined {
  const pair = text.trim();
  if (pair === '') return undefined;
  const eq = pair.indexOf('=');
  if (eq < 0) return `\`${pair}\` needs a value: use \`key=value\`, e.g. \`${pair}=<value>\`. Filtering on whether a key exists is not supported.`;
  if (eq === 0) return 'The key is missing: use `key=value`, e.g. `http.route=/api/orders`';
  return undefined;
}

/** Why a Min/Max duration cannot be read, or undefined. */
export function durationProblem(text: string, parsed: string | undefined): string | undefined {
  return text.trim() !== '' && parsed === undefined ? 'Use a number and a unit: 250ms, 1.5s, 300µs, 2m (a bare number is milliseconds)' : undefined;
}
