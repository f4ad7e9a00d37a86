// Sandboxed preload: one small typed API, never ipcRenderer itself.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { Channel, type ConnectionInfo, type HopscopeBridge } from '../common/ipc';

const connection = ipcRenderer.sendSync(Channel.connection) as ConnectionInfo | null;

if (connection) {
  const bridge = {
    apiBaseUrl: connection.apiBaseUrl,
    apiToken: connection.apiToken,
    openTraceFiles: () => ipcRenderer.invoke(Channel.openTraceFiles),
    importFiles: (files: File[]) => ipcRenderer.invoke(Channel.importPaths, files.map((f) => webUtils.getPathForFile(f)).filter(Boolean)),
    openExternal: (url: string) => ipcRenderer.invoke(Channel.openExternal, url),
  } satisfies HopscopeBridge;
  contextBridge.exposeInMainWorld('hopscope', bridge);
}
