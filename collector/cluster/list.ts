// A paged LIST (limit/continue), page by page, so a 5,000-pod namespace never sits in memory as objects.
import type { ClusterAccess } from './access';
import { HttpStatusError } from './errors';
import type { KubeObject } from './objects';
import { collectionPath, type ResourceRef } from './resources';

interface ListPage {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: KubeObject[];
}

export interface ListHandlers {
  /** The list starts over (first call, and again when a continue token expired mid-way). */
  onStart(): void;
  onItems(items: KubeObject[]): void;
}

/** LISTs a resource in a namespace ('' for all) and returns the list's resourceVersion, to watch from. */
export async function listPaged(access: ClusterAccess, ref: ResourceRef, namespace: string, pageSize: number, handlers: ListHandlers, signal?: AbortSignal): Promise<string> {
  const path = collectionPath(ref, namespace);
  let restarts = 0;
  for (;;) {
    handlers.onStart();
    let token: string | undefined;
    try {
      for (;;) {
        const page = await access.getJson<ListPage>(path, { limit: pageSize, continue: token }, signal);
        handlers.onItems(page.items ?? []);
        token = page.metadata?.continue || undefined;
        if (!token) return page.metadata?.resourceVersion ?? '';
      }
    } catch (err) {
      // The pages' snapshot left the server's history: start a consistent list again (client-go's pager does the same).
      if (token && err instanceof HttpStatusError && err.status === 410 && restarts++ < 3) continue;
      throw err;
    }
  }
}
