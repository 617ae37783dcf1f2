import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';

/**
 * What the router tells clients about their own mistakes.
 *
 * - An `operationName` that names no operation of the document is the client's error: HTTP 400
 *   `OPERATION_RESOLUTION_FAILURE`, as Apollo Server answers without a gateway. (With a gateway, Apollo Server
 *   hands the unresolved operation to the gateway's executor, which throws: HTTP 500, logged as a fault.)
 * - graphql-js appends "Did you mean …?" to validation and variable-coercion messages, naming fields, types
 *   and enum values near the client's typo: a way to map the schema with introspection off. Apollo Server 5's
 *   `hideSchemaDetailsFromClientErrors` strips them from validation errors only, not from variables
 *   (`Value "PAY" does not exist in "OrderStatus" enum. Did you mean the enum value "PAID"?`), so the router
 *   strips them from every error it sends wherever introspection is off.
 */

const SUGGESTION = / ?Did you mean .+?\?(?=$|\s)/g;

/** The message without graphql-js's "Did you mean …?" suggestions. */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/** Plugins for the client-facing rules above; `hideSchemaDetails` where introspection is off. */
export function clientErrorPlugins<TContext extends BaseContext>(options: { hideSchemaDetails: boolean }): ApolloServerPlugin<TContext>[] {
  const unknownOperation: ApolloServerPlugin<TContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const message = request.operationName
            ? `Unknown operation named "${request.operationName}".`
            : 'Must provide operation name if query contains multiple operations.';
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
        },
      };
    },
  };
  const hideSuggestions: ApolloServerPlugin<TContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          for (const error of response.body.singleResult.errors ?? []) {
            (error as { message: string }).message = withoutSuggestions(error.message);
          }
        },
      };
    },
  };
  return options.hideSchemaDetails ? [unknownOperation, hideSuggestions] : [unknownOperation];
}
