/**
 * `GET /api/v1/openapi.json`: the API described from the route table itself (OpenAPI 3.1, whose
 * schemas are JSON Schema 2020-12, what zod emits), so the document cannot drift from the code.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../lib/errors';
import type { Route } from './route-table';

/** Error codes any authenticated route may answer, besides its own. */
const COMMON_ERRORS: readonly ErrorCode[] = ['invalid_request', 'unauthorized', 'forbidden', 'payload_too_large', 'internal'];

/** `/apps/:app/config` → `/apps/{app}/config`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete converted.$schema;
  return converted;
}

/** The object schema's properties as OpenAPI parameters. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Array<Record<string, unknown>> {
  if (!schema) return [];
  const converted = jsonSchema(schema, 'input');
  const properties = (converted.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((converted.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name, in: where, required: where === 'path' || required.has(name), schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

/** The errors a route may answer, grouped by HTTP status. */
export function routeErrors(route: Route): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.access === 'public' ? ['invalid_request', 'payload_too_large', 'internal'] : COMMON_ERRORS);
  if (route.path.includes(':app')) codes.add('app_not_found');
  if (route.path.includes(':team')) codes.add('team_not_found');
  (route.errors ?? []).forEach((code) => codes.add(code));
  return [...codes];
}

function operationId(route: Route): string {
  const words = `${route.method} ${route.path}`.replace(/[:{}]/g, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((word, i) => (i === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join('');
}

export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    if (route.produces) {
      responses[String(route.status ?? 200)] = { description: route.summary, content: { [route.produces]: {} } };
    } else if (route.response) {
      responses[String(route.status ?? 200)] = { description: route.summary, content: { 'application/json': { schema: jsonSchema(route.response, 'output') } } };
    } else {
      responses['204'] = { description: `${route.summary} (no content)` };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of routeErrors(route)) byStatus.set(ERROR_CODES[code], [...(byStatus.get(ERROR_CODES[code]) ?? []), code]);
    for (const [status, codes] of byStatus) {
      responses[String(status)] = { description: `Error: ${codes.join(', ')}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const operation: Record<string, unknown> = {
      operationId: operationId(route),
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses,
      'x-slipway-access': route.access === 'public' ? 'public' : 'policy',
      ...(route.audit ? { 'x-slipway-audit': route.audit } : {}),
      ...(route.access === 'public' ? { security: [] } : {}),
    };
    if (route.body) operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } };
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Slipway API', version, description: 'The REST API of Slipway, a self-hosted Heroku-style platform (docs/contracts/api.md).' },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`slipway auth:token`), or the console\'s session cookie.' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { $ref: '#/components/schemas/ErrorCode' }, message: { type: 'string' } } } },
        },
        ErrorCode: { type: 'string', enum: Object.keys(ERROR_CODES) },
      },
    },
  };
}
