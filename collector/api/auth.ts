import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'hopscope_token';

/** Constant-time token comparison; hashing first makes the lengths equal so length leaks nothing either. */
export function tokenMatches(candidate: string | undefined, token: string): boolean {
  if (candidate === undefined || candidate === '') return false;
  const a = createHash('sha256').update(candidate).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: `Authorization: Bearer …` first, then the cookie. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  return cookieValue(req.headers.cookie, TOKEN_COOKIE);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/**
 * The loopback names this server answers to. Checking `Host` defeats DNS rebinding (a foreign
 * page whose name resolves to 127.0.0.1 would otherwise be same-origin with us).
 */
export function loopbackHosts(host: string, port: number): Set<string> {
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  return new Set([host, '127.0.0.1', 'localhost', '::1'].map((h) => `${bracket(h)}:${port}`.toLowerCase()));
}

/** Origins allowed to call the API: the server's own (under each loopback name) and the configured ones. */
export function allowedOriginSet(hosts: Set<string>, extra: string[]): Set<string> {
  return new Set([...[...hosts].map((h) => `http://${h}`), ...extra.map((o) => o.toLowerCase())]);
}
