// The cluster side of Hopscope: which clusters the user can reach, read-only access to one of them, and
// the watches that record its objects' history.
export { ClusterAccess, type ClusterAccessOptions } from './access';
export { loadClusterChoice, saveClusterChoice, type ClusterChoice } from './choice';
export { ClusterError, describeFailure, redactSecrets, type ClusterFailure } from './errors';
export {
  chooseContext,
  kubeconfigFiles,
  listContexts,
  loadKubeconfig,
  watchKubeconfig,
  type ContextSummary,
  type KubeconfigSource,
  type KubeconfigWatch,
  type KubeconfigWatchOptions,
  type LoadedKubeconfig,
} from './kubeconfig';
export { createdOf, identityOf, stateOf, type KubeObject } from './objects';
export { RESOURCES } from './resources';
export { execSearchPath, loginShellPath, resolveLoginShellPath, type LoginShellPathOptions } from './shell-path';
export type { StreamState, StreamStatus } from './stream';
export { ClusterWatcher, listOnce, type ClusterReadOptions, type ClusterSnapshot, type ClusterWatcherOptions, type Unreadable } from './watch';
