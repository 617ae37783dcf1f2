import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ASTVisitor,
  type ValidationContext,
} from 'graphql';

/**
 * Validation rules that bound the work one operation can ask for. They run once per distinct
 * document (Apollo caches validation), before any subgraph is called.
 *
 * Every rule costs time linear in the document's size: the measures of a document are taken in one
 * walk in which each fragment is measured once and its measure reused at every spread. A document
 * whose fragments spread each other twice over (`fragment G0 on Query { ...G1 ...G1 }`, and so on)
 * expands to 2^k fields in a kilobyte; walking the expansion instead would take exponential time.
 */

/** What one operation asks for once its fragments are expanded. */
export interface OperationMeasure {
  /** Deepest nesting of fields; introspection fields (`__schema`, `__type`, `__typename`) do not count. */
  depth: number;
  /** Fields at the root of the operation, `__typename` excluded. */
  rootFields: number;
  /** Every field the operation selects after fragment expansion (a fragment spread twice counts twice). */
  fields: number;
}

export interface DocumentMeasure {
  operations: Map<OperationDefinitionNode, OperationMeasure>;
  /** Selections visited to measure the document: never more than the document holds. */
  visits: number;
}

const NOTHING: OperationMeasure = { depth: 0, rootFields: 0, fields: 0 };
const measured = new WeakMap<DocumentNode, DocumentMeasure>();

/**
 * Measures every operation of `document` in time linear in its size (each fragment once, memoised).
 * The result is cached per document, so the rules below share one walk.
 */
export function measureDocument(document: DocumentNode): DocumentMeasure {
  const cached = measured.get(document);
  if (cached) return cached;
  const fragments = fragmentDefinitions(document);
  const memo = new Map<string, OperationMeasure>();
  const inProgress = new Set<string>();
  const result: DocumentMeasure = { operations: new Map(), visits: 0 };

  const ofFragment = (name: string): OperationMeasure => {
    const known = memo.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    // A fragment cycle is reported by GraphQL's own rules; do not loop on it.
    if (!definition || inProgress.has(name)) return NOTHING;
    inProgress.add(name);
    const measure = ofSelectionSet(definition.selectionSet);
    inProgress.delete(name);
    memo.set(name, measure);
    return measure;
  };

  const ofSelectionSet = (selectionSet: SelectionSetNode): OperationMeasure => {
    let depth = 0;
    let rootFields = 0;
    let fields = 0;
    for (const selection of selectionSet.selections) {
      result.visits += 1;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        const below = selection.selectionSet ? ofSelectionSet(selection.selectionSet) : NOTHING;
        fields += 1 + below.fields;
        if (name !== '__typename') rootFields += 1;
        if (!name.startsWith('__')) depth = Math.max(depth, 1 + below.depth);
      } else {
        const inner = selection.kind === Kind.INLINE_FRAGMENT ? ofSelectionSet(selection.selectionSet) : ofFragment(selection.name.value);
        depth = Math.max(depth, inner.depth);
        rootFields += inner.rootFields;
        fields += inner.fields;
      }
    }
    return { depth, rootFields, fields };
  };

  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) result.operations.set(definition, ofSelectionSet(definition.selectionSet));
  }
  measured.set(document, result);
  return result;
}

/** The fragments of `document` by name; of a duplicated name (GraphQL reports it), the first. */
export function fragmentDefinitions(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(definition.name.value)) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

function limitError(message: string, limit: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit } });
}

/** A count for a message: counts of expanded fragments can pass any integer a person would read. */
function count(value: number): string {
  return value < 1e15 ? String(value) : 'more than 10^15';
}

/** A rule that checks one measure of every operation against `max`. */
function measureLimit(limit: string, max: number, pick: (measure: OperationMeasure) => number, describe: (value: string) => string) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const measure = measureDocument(context.getDocument()).operations.get(node);
      const value = measure ? pick(measure) : 0;
      if (value > max) context.reportError(limitError(`${describe(count(value))}; the limit is ${max}`, limit));
    },
  });
}

/** Maximum nesting of fields. Introspection fields (`__schema`, `__type`) do not count. */
export function depthLimit(maxDepth: number) {
  return measureLimit('depth', maxDepth, (m) => m.depth, (depth) => `Operation is ${depth} levels deep`);
}

/** Maximum number of root fields in one operation (fragments included). */
export function rootFieldLimit(maxRootFields: number) {
  return measureLimit('rootFields', maxRootFields, (m) => m.rootFields, (n) => `Operation selects ${n} root fields`);
}

/**
 * Maximum number of fields one operation selects once its fragments are expanded: what the query
 * planner and the subgraphs would have to work through, however small the document is.
 */
export function fieldLimit(maxFields: number) {
  return measureLimit('fields', maxFields, (m) => m.fields, (n) => `Operation selects ${n} fields once its fragments are expanded`);
}

/** Maximum number of aliased fields in the whole document. */
export function aliasLimit(maxAliases: number) {
  return (context: ValidationContext): ASTVisitor => {
    let aliases = 0;
    let reported = false;
    return {
      Field(node) {
        if (!node.alias) return;
        aliases += 1;
        if (aliases > maxAliases && !reported) {
          reported = true;
          context.reportError(limitError(`Document uses more than ${maxAliases} aliases`, 'aliases'));
        }
      },
    };
  };
}
