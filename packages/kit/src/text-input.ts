import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, type DocumentNode, GraphQLError, visit } from 'graphql';
import { ErrorCode, userError } from './errors.ts';

/**
 * Text that no subgraph can store or compare: a NUL character (PostgreSQL text cannot hold one, so the
 * query fails deep in the driver) or an unpaired UTF-16 surrogate (not Unicode; the driver silently turns
 * it into U+FFFD). Refused once, here, for every String and ID argument of every subgraph, rather than by
 * each field's own validation.
 */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isUnstorableText(value: string): boolean {
  return value.includes('\u0000') || UNPAIRED_SURROGATE.test(value);
}

function findInValue(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isUnstorableText(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findInValue(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      // Keys too: `_entities` representations are free-form objects.
      if (isUnstorableText(key)) return path || '(key)';
      const found = findInValue(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

/**
 * BAD_USER_INPUT when a string literal of `document` or any string in `variables` (inputs, lists,
 * `_entities` representations included) is unstorable text; else null.
 */
export function unstorableTextError(document: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | null {
  let literal = false;
  visit(document, {
    StringValue(node) {
      if (!isUnstorableText(node.value)) return undefined;
      literal = true;
      return BREAK;
    },
  });
  const variable = literal ? null : findInValue(variables ?? {}, '');
  if (!literal && !variable) return null;
  const where = variable ? `variable $${variable}` : 'a string argument';
  return userError(ErrorCode.BAD_USER_INPUT, `Invalid input: ${where} contains a NUL character or invalid Unicode`, {
    fields: [{ field: variable ?? '', message: 'must not contain NUL characters or unpaired surrogates' }],
  });
}

/** An Apollo Server plugin that refuses unstorable text (see {@link unstorableTextError}) before execution. */
export function unstorableTextPlugin(): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ document, request }) => {
        const error = unstorableTextError(document, request.variables);
        if (!error) return;
        // Answered like a resolver's BAD_USER_INPUT (HTTP 200 with errors), so the router relays it as it
        // relays those; Apollo's default for a refusal at this stage would be a 500.
        throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 200 } } });
      },
    }),
  };
}
