/** The word for n things: plural(1, 'span') is 'span', plural(2, 'span') is 'spans'. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** `seconds` as a person reads a wait: 45 s, 3 min, 1 h 20 min. */
export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** What a wait at `perSecond` for `due` items looks like in a sentence: " (150/s, about 2 min left)", or "" before any pace. */
export function paceText(due: number, perSecond: number): string {
  return perSecond > 0 ? ` (${Math.round(perSecond)}/s, about ${formatWait(due / perSecond)} left)` : '';
}

/**
 * Why traces set aside by live analysis have no findings, and what analyzes them (the UI's set-aside pill and
 * findings notice); the terminal names each trace as it is set aside.
 */
export function setAsideText(n: number): string {
  const one = n === 1;
  return (
    `${n.toLocaleString('en-US')} ${plural(n, 'trace')} ${one ? 'is' : 'are'} too large to analyze live (more spans than serve's analysis worker ` +
    `holds, or ${one ? 'it' : 'they'} ran it out of memory): stored, but without findings of ${one ? 'its' : 'their'} own. hopscope serve names ` +
    `each in its terminal; hopscope analyze --db with this database analyzes ${one ? 'it' : 'them'}.`
  );
}
