// The user's choice of context and namespaces, kept in a small JSON file in the app's data directory so the
// next start watches the same cluster.
import { loadJsonFile, saveJsonFile } from '../paths';

export interface ClusterChoice {
  context?: string;
  /** Namespaces to watch; absent means every namespace the user may list. */
  namespaces?: string[];
}

const FILE = 'cluster.json';

/** The saved choice; an empty one when there is none or the file is unreadable. */
export function loadClusterChoice(dir: string): ClusterChoice {
  const raw = loadJsonFile(dir, FILE);
  const choice: ClusterChoice = {};
  if (raw && typeof raw === 'object') {
    const { context, namespaces } = raw as Record<string, unknown>;
    if (typeof context === 'string' && context) choice.context = context;
    if (Array.isArray(namespaces) && namespaces.every((n) => typeof n === 'string')) choice.namespaces = [...new Set(namespaces as string[])].filter(Boolean);
  }
  return choice;
}

/** Saves the choice atomically (a rename), so a crash never leaves half a file. */
export function saveClusterChoice(dir: string, choice: ClusterChoice): void {
  const body: ClusterChoice = {};
  if (choice.context) body.context = choice.context;
  if (choice.namespaces) body.namespaces = [...new Set(choice.namespaces)].filter(Boolean);
  saveJsonFile(dir, FILE, body);
}
