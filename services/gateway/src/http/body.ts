import express, { type RequestHandler } from 'express';
import { CadreError, type RouteDefinition } from '@cadre/proto';

const JSON_TYPES = ['application/json', 'application/*+json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/**
 * Reads a JSON body on routes whose contract has one — or YAML text on routes that take it
 * (`yamlField`), handed on as `{ [yamlField]: text }`: 415 for another content type, 413 over the
 * limit (before reading, when Content-Length says so), 400 for malformed JSON. Routes without a
 * body never read one.
 */
export function jsonBody(route: RouteDefinition, limit: number): RequestHandler {
  const parse = express.json({ limit, strict: false, type: JSON_TYPES });
  const yamlField = route.yamlField;
  const parseYaml = express.text({ limit, type: YAML_TYPES });
  return (req, res, next) => {
    if (route.body === undefined || !hasBody(req.headers)) {
      next();
      return;
    }
    if (yamlField !== undefined && req.is(YAML_TYPES)) {
      parseYaml(req, res, (error?: unknown) => {
        if (error === undefined) req.body = { [yamlField]: req.body as string };
        next(error);
      });
      return;
    }
    if (!req.is(JSON_TYPES)) {
      const accepted = yamlField === undefined ? 'application/json' : 'application/json or application/yaml';
      next(new CadreError('unsupported_media_type', `Content-Type must be ${accepted}`));
      return;
    }
    parse(req, res, next);
  };
}
