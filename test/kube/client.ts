import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import type { FakeApiServer, KubeconfigUser } from './api-server';

/** A client-node KubeConfig loaded from a kubeconfig file written for `user` against `server`. */
export function kubeConfig(server: FakeApiServer, user: KubeconfigUser, namespace?: string): KubeConfig {
  const { files } = server.writeKubeconfig({ contexts: [{ name: 'test', user, namespace }] });
  const kc = new KubeConfig();
  kc.loadFromFile(files[0]);
  return kc;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A GET with Node's own http(s) client, to look at the bytes client-node hides. */
export function rawGet(server: FakeApiServer, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const client = server.tls ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(`${server.url}${path}`, { ca: server.caPem, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}
