import type { PeerCertificate } from 'node:tls';
import { failure, resourceDetails, type Status } from './status';
import { qualifiedResource, type ResourceType } from './resources';

export interface Identity {
  name: string;
  groups: string[];
}

export type Verb = 'get' | 'list' | 'watch';

/**
 * One RBAC rule. Without `namespaces` it is a ClusterRole bound by a ClusterRoleBinding (every
 * namespace and cluster-scoped resources); with them, a Role bound in each listed namespace.
 */
export interface RbacRule {
  verbs: Array<Verb | '*'>;
  resources: string[];
  /** Default ['*']; '' is the core group. */
  apiGroups?: string[];
  namespaces?: string[];
}

interface TokenEntry {
  identity: Identity;
  expiresAt?: number;
}

export type TokenLookup = { identity: Identity } | { expired: true } | undefined;

export class TokenRegistry {
  private readonly tokens = new Map<string, TokenEntry>();

  add(token: string, identity: Identity, expiresAt?: number): void {
    this.tokens.set(token, { identity, expiresAt });
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  revokeUser(user: string): void {
    for (const [token, entry] of this.tokens) if (entry.identity.name === user) this.tokens.delete(token);
  }

  lookup(token: string): TokenLookup {
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && Date.now() >= entry.expiresAt) return { expired: true };
    return { identity: entry.identity };
  }
}

/** kube-apiserver's x509 authenticator: CN is the user, each O a group. */
export function identityFromCertificate(cert: PeerCertificate): Identity | undefined {
  const cn = cert.subject?.CN;
  if (!cn) return undefined;
  const name = Array.isArray(cn) ? cn[0] : cn;
  const o = cert.subject.O;
  return { name, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

export interface AccessRequest {
  verb: Verb;
  rt: ResourceType;
  namespace?: string;
  name?: string;
}

export class Authorizer {
  private readonly userRules = new Map<string, RbacRule[]>();
  private readonly groupRules = new Map<string, RbacRule[]>();

  allowUser(user: string, rules: RbacRule[]): void {
    this.userRules.set(user, [...(this.userRules.get(user) ?? []), ...rules]);
  }

  allowGroup(group: string, rules: RbacRule[]): void {
    this.groupRules.set(group, [...(this.groupRules.get(group) ?? []), ...rules]);
  }

  /** Returns the 403 Status a real RBAC authorizer would produce, or undefined when allowed. */
  check(who: Identity, req: AccessRequest): Status | undefined {
    if (who.groups.includes('system:masters')) return undefined;
    const rules = [...(this.userRules.get(who.name) ?? []), ...who.groups.flatMap((g) => this.groupRules.get(g) ?? [])];
    if (rules.some((rule) => matches(rule, req))) return undefined;
    return forbidden(who, req);
  }
}

function matches(rule: RbacRule, req: AccessRequest): boolean {
  const verbOk = rule.verbs.includes('*') || rule.verbs.includes(req.verb);
  const resourceOk = rule.resources.includes('*') || rule.resources.includes(req.rt.resource);
  const groups = rule.apiGroups ?? ['*'];
  const groupOk = groups.includes('*') || groups.includes(req.rt.group);
  const scopeOk = rule.namespaces === undefined || (req.namespace !== undefined && rule.namespaces.includes(req.namespace));
  return verbOk && resourceOk && groupOk && scopeOk;
}

export function forbidden(who: Identity, req: AccessRequest): Status {
  const subject = req.name ? `${qualifiedResource(req.rt)} "${req.name}"` : qualifiedResource(req.rt);
  const scope = req.namespace !== undefined ? `in the namespace "${req.namespace}"` : 'at the cluster scope';
  const message = `${subject} is forbidden: User "${who.name}" cannot ${req.verb} resource "${req.rt.resource}" in API group "${req.rt.group}" ${scope}`;
  return failure(403, 'Forbidden', message, resourceDetails(req.rt, req.name));
}
