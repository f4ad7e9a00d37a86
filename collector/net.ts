import type { Server } from 'node:http';

/** A port we could not bind, said in one line that names the port and the flag that changes it. */
export class ListenError extends Error {
  override name = 'ListenError';
}

export function listenErrorMessage(err: NodeJS.ErrnoException, what: string, host: string, port: number, flag: string): string {
  if (err.code === 'EADDRINUSE') return `${what}: port ${port} on ${host} is already in use; free it or pick another with ${flag} <port>`;
  if (err.code === 'EACCES') return `${what}: not allowed to listen on ${host}:${port}; pick a port above 1023 with ${flag} <port>`;
  if (err.code === 'EADDRNOTAVAIL') return `${what}: ${host} is not an address of this machine; check --host`;
  return `${what}: cannot listen on ${host}:${port}: ${err.message}`;
}

/** Starts an HTTP server listening, resolving with the port actually bound (0 picks a free one). */
export function listenHttp(server: Server, host: string, port: number, what: string, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(listenErrorMessage(err, what, host, port, flag)));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

/** host:port with IPv6 hosts bracketed, for URLs and log lines. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
