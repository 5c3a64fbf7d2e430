import express, { type RequestHandler } from 'express';
import { CadreError, type RouteDefinition } from '@cadre/proto';

const JSON_TYPES = ['application/json', 'application/*+json'];

function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/**
 * Reads a JSON body on routes whose contract has one: 415 for another content type, 413 over
 * the limit (before reading, when Content-Length says so), 400 for malformed JSON. Routes
 * without a body never read one.
 */
export function jsonBody(route: RouteDefinition, limit: number): RequestHandler {
  const parse = express.json({ limit, strict: false, type: JSON_TYPES });
  return (req, res, next) => {
    if (route.body === undefined || !hasBody(req.headers)) {
      next();
      return;
    }
    if (!req.is(JSON_TYPES)) {
      next(new CadreError('unsupported_media_type', 'Content-Type must be application/json'));
      return;
    }
    parse(req, res, next);
  };
}
