import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { z } from 'zod';
import type { Logger } from './logger.ts';
import { isUnavailableError, serviceUnavailableFormatted } from './resilience.ts';

/** The stable `extensions.code` values of the public API (DESIGN.md section 4). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  /** A dependency is down, timed out or overloaded; always with `extensions.retryable: true`. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes produced by GraphQL itself about the client's document; safe to show as they are. */
const REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  // Trusted documents (router): an unknown document id, an operation not in the list.
  'PERSISTED_QUERY_NOT_IN_LIST',
  'OPERATION_NOT_TRUSTED',
]);

/** True for codes whose message is written for clients and may be shown to them. */
export function isPublicCode(code: unknown): boolean {
  return typeof code === 'string' && (code in ErrorCode || REQUEST_CODES.has(code)) && code !== ErrorCode.INTERNAL_SERVER_ERROR;
}

/** An expected failure to report to the client: message and code are public. */
export function userError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const unauthenticated = (message = 'You must be signed in') => userError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'You are not allowed to do this') => userError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string) => userError(ErrorCode.NOT_FOUND, `${what} not found`);
export const badInput = (message: string, field?: string) =>
  userError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const conflict = (message: string) => userError(ErrorCode.CONFLICT, message);

/**
 * Validates `value` with a zod schema at the edge. Every problem is reported in one BAD_USER_INPUT
 * error, with `extensions.fields` naming each offending field.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
  const summary = fields.map((f) => (f.field ? `${f.field}: ${f.message}` : f.message)).join('; ');
  throw userError(ErrorCode.BAD_USER_INPUT, `Invalid input: ${summary}`, { fields });
}

/**
 * Builds an Apollo `formatError` that passes public errors through and masks everything else as
 * INTERNAL_SERVER_ERROR, logging the original. No stack, SQL or host name reaches a client.
 */
export function maskErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (isPublicCode(code)) {
      const { stacktrace: _s, exception: _e, serviceName: _n, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    // An unreachable dependency (database, another subgraph, an open circuit) is an outage, not a bug.
    if (isUnavailableError(unwrap(error))) {
      logger.warn({ err: unwrap(error), path: formatted.path }, 'dependency unavailable');
      return serviceUnavailableFormatted(formatted, error);
    }
    logger.error({ err: unwrap(error), path: formatted.path, code }, 'unexpected error in GraphQL operation');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
