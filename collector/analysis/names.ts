// Operation names as evidence: which spans read like handing work off (enqueue, publish, go …), and
// whether a producer and a consumer name the same thing ("enqueue thumbnail" → "process thumbnails").

const PRODUCER_VERBS = new Set(['enqueue', 'submit', 'publish', 'dispatch', 'schedule', 'spawn', 'go', 'push', 'send', 'emit', 'produce', 'offer', 'fork', 'fire', 'trigger', 'async', 'defer', 'queue']);
const CONSUMER_VERBS = new Set(['process', 'handle', 'consume', 'receive', 'run', 'work', 'worker', 'execute', 'exec', 'perform', 'do', 'pull', 'poll', 'dequeue', 'deliver', 'on', 'start', 'background']);
/** Words every hop shares, so sharing them says nothing about which hop. */
const GENERIC = new Set(['job', 'task', 'message', 'msg', 'event', 'item', 'request', 'the', 'a', 'an', 'to', 'from', 'of', 'for', 'in', 'and', 'new', 'goroutine', 'loop', 'pool']);

// Operation names repeat across spans: split each one once.
const split = new Map<string, readonly string[]>();
const SPLIT_CACHE_SIZE = 10_000;

/** Lowercase words of a name: split at non-letters and camelCase humps, a plural's trailing s dropped. */
export function words(name: string): readonly string[] {
  let found = split.get(name);
  if (!found) {
    if (split.size >= SPLIT_CACHE_SIZE) split.clear();
    found = splitWords(name);
    split.set(name, found);
  }
  return found;
}

function splitWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

export function soundsLikeProducer(name: string): boolean {
  return words(name).some((w) => PRODUCER_VERBS.has(w));
}

/** The words that say what is handed off: not verbs of handing off or taking up, not generic. */
export function subjectWords(name: string): string[] {
  return words(name).filter((w) => !PRODUCER_VERBS.has(w) && !CONSUMER_VERBS.has(w) && !GENERIC.has(w) && !/^\d+$/.test(w));
}

/**
 * 'strong': the two names share a subject word; 'weak': one of them names no subject (so it cannot
 * disagree); 'none': both name subjects, and different ones.
 */
export type Affinity = 'strong' | 'weak' | 'none';

export function nameAffinity(producerSubjects: readonly string[], consumerSubjects: readonly string[]): Affinity {
  if (producerSubjects.length === 0 || consumerSubjects.length === 0) return 'weak';
  return producerSubjects.some((w) => consumerSubjects.includes(w)) ? 'strong' : 'none';
}
