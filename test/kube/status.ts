import { qualifiedResource, type ResourceType } from './resources';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
  retryAfterSeconds?: number;
}

/** A meta/v1 Status, keys in the order a real API server writes them. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string };
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

export function resourceDetails(rt: ResourceType, name?: string): StatusDetails {
  return { name, group: rt.group || undefined, kind: rt.resource };
}

export const unauthorized = (): Status => failure(401, 'Unauthorized', 'Unauthorized');

export const notFoundPath = (): Status => failure(404, 'NotFound', 'the server could not find the requested resource', {});

export const notFoundObject = (rt: ResourceType, name: string): Status =>
  failure(404, 'NotFound', `${qualifiedResource(rt)} "${name}" not found`, resourceDetails(rt, name));

export const badRequest = (message: string): Status => failure(400, 'BadRequest', message);

export const methodNotAllowed = (): Status => failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

/** What the watch cache answers for a resourceVersion older than its window (sent as a watch ERROR event). */
export const tooOldResourceVersion = (requested: number, oldest: number): Status =>
  failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);

export const tooLargeResourceVersion = (requested: number, current: number): Status =>
  failure(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });

export const expiredContinue = (inconsistentContinue?: string): Status => ({
  ...failure(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  ),
  metadata: inconsistentContinue ? { continue: inconsistentContinue } : {},
});

export const expiredListResourceVersion = (): Status => failure(410, 'Expired', 'The resourceVersion for the provided list is too old.');
