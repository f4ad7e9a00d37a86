// Service colours: a calm palette that reads on light and dark backgrounds. A service's colour
// comes from a hash of its name, moved to the next free slot on a clash, so the few services on
// screen stay apart and keep their colour while the app runs.
// Ten hues far apart, none of them the red that means an error.
const PALETTE = ['#5b8def', '#f0913a', '#3fb68b', '#a77be6', '#dcb43c', '#3fb3c9', '#e06a9a', '#8aa04a', '#a5785f', '#8592ad'];

const assigned = new Map<string, string>();
const taken = new Set<number>();

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function serviceColor(service: string): string {
  let color = assigned.get(service);
  if (color) return color;
  const preferred = hash(service) % PALETTE.length;
  let slot = preferred;
  for (let i = 0; i < PALETTE.length && taken.has(slot); i++) slot = (preferred + i + 1) % PALETTE.length;
  if (taken.has(slot)) slot = preferred;
  taken.add(slot);
  color = PALETTE[slot];
  assigned.set(service, color);
  return color;
}
