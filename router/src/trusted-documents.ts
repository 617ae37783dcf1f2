import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { HttpError, type Logger, type Viewer } from '@shopgraph/kit';
import { GraphQLError, parse } from 'graphql';
import { z } from 'zod';

/**
 * Trusted documents (persisted-query safelisting): the shop registers the operations its storefront sends as a
 * manifest of id → document, and the router can accept only those.
 *
 * Manifests: GraphQL Code Generator's client preset (`persistedDocuments: true` writes
 * `persisted-documents.json`, `{ "<hash>": "<document>" }`) and Apollo's persisted query list
 * (`@apollo/generate-persisted-query-manifest`: `{ "format": "apollo-persisted-query-manifest", "version": 1,
 * "operations": [{ "id", "body", "name", "type" }] }`). Ids are taken as they are (sha256 or sha1, whatever the
 * build chose); the SHA-256 of each body is indexed too, so full text is recognised whatever the ids are.
 *
 * A request names its document by id (`documentId` in the body or query string, or Apollo's
 * `extensions.persistedQuery.sha256Hash`, without `query`), or sends the full text (trusted when its SHA-256 is
 * the SHA-256 of a listed document, i.e. byte for byte the same text).
 *
 * Modes (`TRUSTED_DOCUMENTS_MODE`):
 * - `off`: nothing changes;
 * - `allow-and-log`: ids from the manifest are resolved; everything else runs and each operation not in the
 *   manifest is logged once (warn) with its hash and name, to see what a storefront still sends before enforcing;
 * - `enforce`: an unknown id is refused with HTTP 400 `PERSISTED_QUERY_NOT_IN_LIST`, any other text with HTTP 403
 *   `OPERATION_NOT_TRUSTED`, over HTTP and graphql-ws alike, before parsing or validation. Signed-in admins may
 *   still send any operation when `TRUSTED_DOCUMENTS_ALLOW_ADMIN=true`.
 *
 * The router's own tracking page (/track) sends the operations of `tracking/tracking-operations.js`; they are
 * always trusted, so the page keeps working under `enforce`.
 */

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The router's trusted-documents variables. */
export const trustedDocumentsEnvShape = {
  /** The manifest (JSON): codegen client preset `persisted-documents.json` or an Apollo persisted query list. */
  TRUSTED_DOCUMENTS_PATH: z.string().optional(),
  TRUSTED_DOCUMENTS_MODE: z.enum(['off', 'allow-and-log', 'enforce']).default('off'),
  /** Under `enforce`, signed-in admins may still send any operation. */
  TRUSTED_DOCUMENTS_ALLOW_ADMIN: flag.default(false),
};

type TrustedDocumentsEnv = z.infer<z.ZodObject<typeof trustedDocumentsEnvShape>>;

/** Refusal codes (public: they reach clients with their message). */
export const NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';
export const NOT_TRUSTED = 'OPERATION_NOT_TRUSTED';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const apolloManifest = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(z.object({ id: z.string().min(1), body: z.string().min(1), name: z.string().optional(), type: z.string().optional() })),
});
const documentMap = z.record(z.string().min(1), z.string().min(1));

/**
 * Reads a manifest (either format) into id → document. Throws, naming the problem, when the file is not one
 * of the two formats or a document does not parse.
 */
export function parseManifest(json: unknown, source = 'manifest'): Map<string, string> {
  let entries: Array<[string, string]>;
  if (typeof json === 'object' && json !== null && 'format' in json) {
    const manifest = apolloManifest.safeParse(json);
    if (!manifest.success) throw new Error(`${source}: not an Apollo persisted query list (${manifest.error.issues[0]?.message ?? 'invalid'})`);
    entries = manifest.data.operations.map((operation) => [operation.id, operation.body]);
  } else {
    const map = documentMap.safeParse(json);
    if (!map.success) throw new Error(`${source}: expected { "<hash>": "<document>" } or an Apollo persisted query list`);
    entries = Object.entries(map.data);
  }
  for (const [id, body] of entries) {
    try {
      parse(body);
    } catch (error) {
      throw new Error(`${source}: the document of ${id} does not parse: ${(error as Error).message}`, { cause: error });
    }
  }
  return new Map(entries);
}

/** What a request carries that names its document. */
export interface DocumentRequest {
  query?: unknown;
  operationName?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

/** The verdict on one request: its document (from the list or as sent), or why it is refused. */
export type Verdict = { ok: true; query: string | undefined; fromId: boolean } | { ok: false; code: string; message: string; status: number };

export interface TrustedDocuments {
  mode: 'allow-and-log' | 'enforce';
  size: number;
  /** Judges a request; `viewer` decides the admin exception. */
  judge(request: DocumentRequest, viewer: Viewer | null): Verdict;
  /**
   * Refuses an HTTP request (an {@link HttpError}) before it reaches Apollo Server; called from the router's
   * context function with the parsed POST body. (Apollo turns errors thrown by plugins before parsing into 500s.)
   */
  checkHttp(req: IncomingMessage, body: unknown, viewer: Viewer | null): void;
  /** Apollo Server plugin that puts the listed document in place of an id (requests `checkHttp` let through). */
  plugin: ApolloServerPlugin<{ viewer: Viewer | null }>;
  /**
   * For a graphql-ws subscribe payload: a refusal, or null after putting the listed document into
   * `payload.query` when the client sent an id.
   */
  admitSubscription(payload: { query: string } & DocumentRequest, viewer: Viewer | null): GraphQLError | null;
}

/** The trusted documents of `env`, or null when the mode is off. `builtIn` are trusted too (the router's own pages). */
export function createTrustedDocuments(env: TrustedDocumentsEnv, logger: Logger, builtIn: string[] = []): TrustedDocuments | null {
  if (env.TRUSTED_DOCUMENTS_MODE === 'off') return null;
  if (!env.TRUSTED_DOCUMENTS_PATH) throw new Error(`TRUSTED_DOCUMENTS_MODE=${env.TRUSTED_DOCUMENTS_MODE} needs TRUSTED_DOCUMENTS_PATH (the manifest)`);
  const byId = parseManifest(JSON.parse(readFileSync(env.TRUSTED_DOCUMENTS_PATH, 'utf8')) as unknown, env.TRUSTED_DOCUMENTS_PATH);
  const byHash = new Map<string, string>();
  for (const body of [...byId.values(), ...builtIn]) byHash.set(sha256(body), body);
  const mode = env.TRUSTED_DOCUMENTS_MODE;
  const enforce = mode === 'enforce';
  const logged = new Set<string>();
  logger.info({ mode, documents: byId.size, path: env.TRUSTED_DOCUMENTS_PATH }, 'trusted documents loaded');

  const judge = (request: DocumentRequest, viewer: Viewer | null): Verdict => {
    const query = typeof request.query === 'string' && request.query !== '' ? request.query : undefined;
    const persisted = (request.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
    const id = typeof request.documentId === 'string' ? request.documentId : typeof persisted === 'string' ? persisted : undefined;
    if (query === undefined) {
      if (id === undefined) return { ok: true, query: undefined, fromId: false };
      const listed = byId.get(id) ?? byHash.get(id);
      if (listed !== undefined) return { ok: true, query: listed, fromId: true };
      // Not ours: under allow-and-log, Apollo's own APQ cache may still know it.
      if (!enforce) return { ok: true, query: undefined, fromId: false };
      return { ok: false, code: NOT_IN_LIST, message: 'This persisted document is not in the list of trusted documents', status: 400 };
    }
    const hash = sha256(query);
    if (byHash.has(hash)) return { ok: true, query, fromId: false };
    if (enforce && env.TRUSTED_DOCUMENTS_ALLOW_ADMIN && viewer?.role === 'ADMIN') return { ok: true, query, fromId: false };
    if (!enforce) {
      if (logged.size < 10_000 && !logged.has(hash)) {
        logged.add(hash);
        const operationName = typeof request.operationName === 'string' ? request.operationName : (OPERATION_NAME.exec(query)?.[1] ?? null);
        logger.warn({ sha256: hash, operationName }, 'operation not in the trusted documents');
      }
      return { ok: true, query, fromId: false };
    }
    return { ok: false, code: NOT_TRUSTED, message: 'Only trusted documents are accepted: send a registered document or its id', status: 403 };
  };

  return {
    mode,
    size: byId.size,
    judge,
    checkHttp(req, body, viewer) {
      const verdict = judge(httpDocumentRequest(req, body), viewer);
      if (!verdict.ok) throw new HttpError(verdict.status, verdict.message, verdict.code);
    },
    plugin: {
      async requestDidStart({ request, contextValue }) {
        const body = request.http?.body as Record<string, unknown> | undefined;
        const documentId = (typeof body === 'object' && body !== null ? body.documentId : undefined) ?? new URLSearchParams(request.http?.search ?? '').get('documentId') ?? undefined;
        const verdict = judge({ ...request, documentId }, contextValue.viewer);
        if (verdict.ok && verdict.fromId) {
          // The listed text runs; Apollo's APQ (which would hash and cache it) is not involved.
          request.query = verdict.query;
          if (request.extensions?.persistedQuery) {
            const { persistedQuery: _persisted, ...extensions } = request.extensions;
            request.extensions = extensions;
          }
        }
      },
    },
    admitSubscription(payload, viewer) {
      const verdict = judge(payload, viewer);
      if (!verdict.ok) return new GraphQLError(verdict.message, { extensions: { code: verdict.code } });
      if (verdict.query !== undefined) payload.query = verdict.query;
      return null;
    },
  };
}

/** `query Name`, `mutation Name`…: the first operation's name, for log lines. */
const OPERATION_NAME = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** What a GraphQL-over-HTTP request says about its document: the POST body, or the GET query string. */
function httpDocumentRequest(req: IncomingMessage, body: unknown): DocumentRequest {
  if (req.method === 'POST') return typeof body === 'object' && body !== null ? (body as DocumentRequest) : {};
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  let extensions: unknown;
  try {
    extensions = JSON.parse(params.get('extensions') ?? 'null');
  } catch {
    extensions = undefined;
  }
  return { query: params.get('query') ?? undefined, operationName: params.get('operationName') ?? undefined, documentId: params.get('documentId') ?? undefined, extensions };
}
