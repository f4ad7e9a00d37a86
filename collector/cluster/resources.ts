// Where each watched kind lives in the Kubernetes REST API.
import type { ClusterKind } from '../../common/cluster';

export interface ResourceRef {
  /** The API group ('' for core). */
  group: string;
  version: string;
  /** The plural name RBAC rules and URLs use. */
  resource: string;
  namespaced: boolean;
}

export const RESOURCES: Record<ClusterKind, ResourceRef> = {
  Pod: { group: '', version: 'v1', resource: 'pods', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true },
  Job: { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true },
  Node: { group: '', version: 'v1', resource: 'nodes', namespaced: false },
  Service: { group: '', version: 'v1', resource: 'services', namespaced: true },
  EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true },
  // core/v1 events: they carry count/firstTimestamp/lastTimestamp, which events.k8s.io/v1 renames.
  Event: { group: '', version: 'v1', resource: 'events', namespaced: true },
};

export const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };

/** The collection URL path of a resource, in one namespace or ('' ) across all of them. */
export function collectionPath(ref: ResourceRef, namespace: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  return ref.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${ref.resource}` : `${base}/${ref.resource}`;
}
