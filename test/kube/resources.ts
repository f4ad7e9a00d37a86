export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface ObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

/** An object as the API server serves it (JSON wire form: timestamps are RFC 3339 strings). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: JsonObject;
  status?: JsonObject;
  [field: string]: unknown;
}

export interface ResourceType {
  group: string;
  version: string;
  /** The plural resource name used in paths and RBAC. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Store key; events.k8s.io/v1 events share core/v1 storage, as in a real cluster. */
  storage: string;
  /** Whether the real registry strategy maintains metadata.generation. */
  generation: boolean;
  fieldLabels: Record<string, (obj: KubeObject) => string | undefined>;
  /** Converts the stored object into this resource's representation (only for views). */
  fromStorage?: (obj: KubeObject) => KubeObject;
  /** Real API servers advertise a storageVersionHash; some clients key caches on it. */
  storageVersionHash: string;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(date: Date | number = Date.now()): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

export function qualifiedResource(rt: ResourceType): string {
  return rt.group ? `${rt.resource}.${rt.group}` : rt.resource;
}

function path(obj: unknown, dotted: string): string | undefined {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return undefined;
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

function fields(...dotted: string[]): Record<string, (obj: KubeObject) => string | undefined> {
  return Object.fromEntries(dotted.map((d) => [d, (obj: KubeObject) => path(obj, d)]));
}

const metaFields = fields('metadata.name', 'metadata.namespace');

function eventsV1FromCore(core: KubeObject): KubeObject {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: core.metadata,
    eventTime: core.eventTime ?? null,
    series: core.series,
    reportingController: core.reportingComponent || undefined,
    reportingInstance: core.reportingInstance || undefined,
    action: core.action,
    reason: core.reason,
    regarding: core.involvedObject,
    related: core.related,
    note: core.message,
    type: core.type,
    deprecatedSource: core.source,
    deprecatedFirstTimestamp: core.firstTimestamp ?? undefined,
    deprecatedLastTimestamp: core.lastTimestamp ?? undefined,
    deprecatedCount: core.count,
  };
}

interface Def {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  storage?: string;
  generation?: boolean;
  fieldLabels?: string[];
  customFieldLabels?: Record<string, (obj: KubeObject) => string | undefined>;
  fromStorage?: (obj: KubeObject) => KubeObject;
}

function define(d: Def): ResourceType {
  const storage = d.storage ?? (d.group ? `${d.group}/${d.resource}` : d.resource);
  return {
    group: d.group,
    version: d.version,
    resource: d.resource,
    singular: d.kind.toLowerCase(),
    kind: d.kind,
    listKind: `${d.kind}List`,
    namespaced: d.namespaced,
    shortNames: d.shortNames,
    storage,
    generation: d.generation ?? false,
    fieldLabels: { ...metaFields, ...fields(...(d.fieldLabels ?? [])), ...d.customFieldLabels },
    fromStorage: d.fromStorage,
    storageVersionHash: Buffer.from(`${storage}/${d.version}`).toString('base64').slice(0, 11),
  };
}

const involvedFields = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];

/** The resource types the fake API server serves, with their real group/version/kind/plural names. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  define({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], fieldLabels: ['status.phase'] }),
  define({
    group: '',
    version: 'v1',
    resource: 'pods',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    generation: true,
    fieldLabels: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  }),
  define({ group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], fieldLabels: ['spec.unschedulable'] }),
  define({ group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'] }),
  define({
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fieldLabels: [...involvedFields.map((f) => `involvedObject.${f}`), 'reason', 'reportingComponent', 'type'],
    customFieldLabels: { source: (obj) => path(obj, 'source.component') },
  }),
  define({ group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], generation: true }),
  define({ group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], generation: true, fieldLabels: ['status.replicas'] }),
  define({ group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], generation: true }),
  define({ group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], generation: true }),
  define({ group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true, generation: true, fieldLabels: ['status.successful'] }),
  define({ group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', namespaced: true, shortNames: ['cj'], generation: true }),
  define({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true, generation: true }),
  define({
    group: 'events.k8s.io',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    storage: 'events',
    fieldLabels: [...involvedFields.map((f) => `regarding.${f}`), 'reason', 'reportingController', 'type'],
    fromStorage: eventsV1FromCore,
  }),
];

export function findResource(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((rt) => rt.group === group && rt.version === version && rt.resource === resource);
}

/** Resolves `Pod`, `pods`, `apps/v1 Deployment` style names to the stored (non-view) resource type. */
export function resolveResource(kindOrResource: string, apiVersion?: string): ResourceType {
  const stored = RESOURCE_TYPES.filter((rt) => !rt.fromStorage && (apiVersion === undefined || apiVersionOf(rt) === apiVersion));
  const rt = stored.find((r) => r.kind === kindOrResource) ?? stored.find((r) => r.resource === kindOrResource.toLowerCase());
  if (!rt) throw new Error(`fake api server: unknown kind or resource ${apiVersion ? `${apiVersion} ` : ''}${kindOrResource}`);
  return rt;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
