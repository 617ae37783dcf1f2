import { buildOperationContext } from '@apollo/gateway';
import { type DocumentNode, type GraphQLError, type GraphQLSchema, parse } from 'graphql';

export type OperationContext = ReturnType<typeof buildOperationContext>;

/** A subscription document as parsed and validated against one schema. */
export interface CheckedDocument {
  readonly document: DocumentNode;
  readonly errors: readonly GraphQLError[];
  /** Operation contexts built from it, by operation name. */
  readonly contexts: Map<string, OperationContext>;
}

/** How many distinct documents are kept; the oldest goes first. */
const MAX_DOCUMENTS = 1_000;

/**
 * Subscription documents parsed and validated once per text and schema, as Apollo Server does for queries.
 * Thousands of clients sending the same subscription then share one syntax tree and one operation context
 * rather than holding a copy each, and opening a subscription skips parsing and validation. A document that
 * does not parse is not kept: the error is thrown each time.
 */
export class CheckedDocuments {
  private schema: GraphQLSchema | null = null;
  private readonly byText = new Map<string, CheckedDocument>();

  constructor(
    private readonly validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[],
    private readonly parseOptions: { maxTokens: number },
  ) {}

  /** The document of `text`, parsed (throws its syntax error) and validated against `schema`. */
  check(schema: GraphQLSchema, text: string): CheckedDocument {
    if (schema !== this.schema) {
      // A new supergraph: what was valid may no longer be.
      this.byText.clear();
      this.schema = schema;
    }
    const known = this.byText.get(text);
    if (known) return known;
    const document = parse(text, this.parseOptions);
    const checked = { document, errors: this.validate(schema, document), contexts: new Map() };
    if (this.byText.size >= MAX_DOCUMENTS) this.byText.delete(this.byText.keys().next().value!);
    this.byText.set(text, checked);
    return checked;
  }

  /** The gateway's operation context of one operation of a checked document, built once. */
  operationContext(checked: CheckedDocument, schema: GraphQLSchema, operationName: string | undefined): OperationContext {
    const key = operationName ?? '';
    let context = checked.contexts.get(key);
    if (!context) {
      context = buildOperationContext({ schema, operationDocument: checked.document, operationName });
      checked.contexts.set(key, context);
    }
    return context;
  }
}
