import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchPath, routes, type PathParams, type QueryOf, type ResultOf, type Route, type RouteName, type Routes } from '../../common/routes';
import type { ApiContext } from './context';
import { drain, HttpError, readJson, sendJson } from './http';
import { QueryParams } from './query';

/** One call of a route, as its handler sees it. */
export interface ApiRequest<R extends Route> {
  params: PathParams<R['path']>;
  query: QueryParams<QueryOf<R>>;
  /** A `json` route's body, parsed but not checked: the handler checks it. */
  body: unknown;
  /** For a `file` route, which streams the body itself. */
  req: IncomingMessage;
}

/** Answers a JSON route: what it returns is sent with status 200, what it throws becomes `{error}`. */
type JsonHandler<R extends Route> = (ctx: ApiContext, request: ApiRequest<R>) => ResultOf<R> | Promise<ResultOf<R>>;

/** Answers an event-stream route by taking the response over. */
type EventsHandler<R extends Route> = (ctx: ApiContext, request: ApiRequest<R>, res: ServerResponse) => void;

/** A handler for every route of the table: one missing, or answering the wrong type, does not compile. */
export type Handlers = { [K in RouteName]: Routes[K] extends { reply: 'events' } ? EventsHandler<Routes[K]> : JsonHandler<Routes[K]> };

type AnyHandler = (ctx: ApiContext, request: ApiRequest<Route>, res?: ServerResponse) => unknown;

/** Runs the handler of the route `url` names; 404 when none has its path, 405 when none with it takes the method. */
export async function dispatch(handlers: Handlers, ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let pathMatched = false;
  for (const name of Object.keys(routes) as RouteName[]) {
    const route: Route = routes[name];
    const params = matchPath(route, url.pathname);
    if (!params) continue;
    pathMatched = true;
    if (route.method !== req.method) continue;
    const body = route.body === 'json' ? await readJson(req) : undefined;
    if (route.body === 'none') await drain(req);
    const request: ApiRequest<Route> = { params, query: new QueryParams(url.searchParams), body, req };
    const handler = handlers[name] as AnyHandler;
    if (route.reply === 'events') handler(ctx, request, res);
    else sendJson(res, 200, await handler(ctx, request));
    return;
  }
  await drain(req);
  if (pathMatched) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
  throw new HttpError(404, `no API endpoint ${url.pathname}`);
}
