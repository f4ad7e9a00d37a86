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
