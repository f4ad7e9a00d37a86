import type { HopscopeBridge } from '../../../common/ipc';

declare global {
  interface Window {
    /** Set by the Electron preload; a browser has none and uses the page's origin and cookie. */
    hopscope?: HopscopeBridge;
  }
}

export interface Connection {
  baseUrl: string;
  /** Sent as a Bearer header. Without it the browser's `hopscope_token` cookie carries the token. */
  token?: string;
}

export function resolveConnection(): Connection {
  const bridge = window.hopscope;
  if (bridge) return { baseUrl: bridge.apiBaseUrl.replace(/\/+$/, ''), token: bridge.apiToken };
  return { baseUrl: window.location.origin };
}
