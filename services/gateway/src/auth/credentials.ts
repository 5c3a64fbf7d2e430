import type { Request } from 'express';
import type { RouteDefinition } from '@cadre/proto';

/**
 * The bearer credential of a request: the `Authorization: Bearer` header, or — on stream
 * routes only, since EventSource cannot set headers — the `token` query parameter. Query
 * tokens end up in proxy logs and browser history, so ordinary routes do not take them.
 */
export function credentialOf(req: Request, route: RouteDefinition): string | undefined {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return match?.[1] ?? '';
  }
  if (route.stream) {
    const token = req.query.token;
    if (typeof token === 'string') return token;
    if (token !== undefined) return '';
  }
  return undefined;
}
