// A paged LIST (limit/continue), page by page and each page item by item as it arrives (access.getList), so a
// 5,000-pod namespace never sits in memory as objects, nor one page of it as one string.
import type { ClusterAccess } from './access';
import { HttpStatusError } from './errors';
import type { KubeObject } from './objects';
import { collectionPath, type ResourceRef } from './resources';

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
        const metadata = await access.getList(path, { limit: pageSize, continue: token }, (items) => handlers.onItems(items), signal);
        token = metadata.continue || undefined;
        if (!token) return metadata.resourceVersion ?? '';
      }
    } catch (err) {
      // The pages' snapshot left the server's history: start a consistent list again (client-go's pager does the same).
      if (token && err instanceof HttpStatusError && err.status === 410 && restarts++ < 3) continue;
      throw err;
    }
  }
}
