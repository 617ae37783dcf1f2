import {
  type DocumentNode,
  type FieldNode,
  getNamedType,
  getNullableType,
  type GraphQLCompositeType,
  type GraphQLField,
  GraphQLError,
  type GraphQLSchema,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  typeFromAST,
  valueFromAST,
} from 'graphql';
import { fragmentDefinitions } from './limits.ts';

/**
 * Static cost of an operation, computed before anything runs: roughly how many objects the subgraphs
 * would have to load, in the spirit of Apollo Router's demand control and GitHub's and Shopify's
 * cost models.
 *
 * - A field of an object type costs 1, a scalar or enum field 0; a root mutation field costs 10 more.
 * - A field with `first`/`last` (a Relay connection) multiplies what its page lists (`edges`,
 *   `nodes`) select by that number: a literal, a variable's value or the argument's default, at most
 *   {@link CostOptions.maxListSize} (the cap every connection in the graph has). `pageInfo` counts once.
 * - Any other list multiplies its items' cost by {@link CostOptions.defaultListSize}.
 * - Fields of every branch of an abstract type count (an upper bound), introspection counts nothing.
 *
 * Time is linear in the document's size: each fragment is costed once (its cost depends on the
 * variables only, which are fixed for one operation) and reused at every spread.
 */
export interface CostOptions {
  /** Assumed length of a list without `first`/`last` (e.g. `categories`, `addresses`). */
  defaultListSize: number;
  /** Largest `first`/`last` a connection serves (the graph's cap); also assumed when none is given. */
  maxListSize: number;
}

export interface OperationCost {
  cost: number;
  /** Selections visited to cost the operation: never more than the document holds. */
  visits: number;
}

const MUTATION_FIELD_COST = 10;

/**
 * The cost of a selection: `fixed`, plus `perItem` for each item of a page. Only a connection's page
 * lists (`edges`, `nodes`) count per item; the field that returns the connection knows the page size.
 */
interface Cost {
  fixed: number;
  perItem: number;
}
const FREE: Cost = { fixed: 0, perItem: 0 };

/** Costs `operation` of `document` with its (raw) `variables`. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  options: CostOptions,
): OperationCost {
  const fragments = fragmentDefinitions(document);
  const variableValues = { ...defaultsOf(schema, operation), ...variables };
  const memo = new Map<string, Cost>();
  const inProgress = new Set<string>();
  let visits = 0;

  const ofFragment = (name: string): Cost => {
    const known = memo.get(name);
    if (known) return known;
    const definition = fragments.get(name);
    const type = definition && schema.getType(definition.typeCondition.name.value);
    if (!definition || !isCompositeType(type) || inProgress.has(name)) return FREE;
    inProgress.add(name);
    const cost = ofSelectionSet(definition.selectionSet, type);
    inProgress.delete(name);
    memo.set(name, cost);
    return cost;
  };

  const ofSelectionSet = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, root = false): Cost => {
    const sum = { fixed: 0, perItem: 0 };
    const add = (cost: Cost) => {
      sum.fixed += cost.fixed;
      sum.perItem += cost.perItem;
    };
    for (const selection of selectionSet.selections) {
      visits += 1;
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        add(ofFragment(selection.name.value));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (isCompositeType(type)) add(ofSelectionSet(selection.selectionSet, type));
      } else {
        add(ofField(selection, parent));
        if (root && operation.operation === 'mutation') sum.fixed += MUTATION_FIELD_COST;
      }
    }
    return sum;
  };

  const ofField = (node: FieldNode, parent: GraphQLCompositeType): Cost => {
    const field = fieldOf(parent, node.name.value);
    // __typename and introspection cost nothing; an unknown field is refused by validation anyway.
    if (!field) return FREE;
    const type = getNamedType(field.type);
    if (!isCompositeType(type) || !node.selectionSet) return FREE;
    const below = ofSelectionSet(node.selectionSet, type);
    const pageSize = connectionSize(node, field);
    // One object, with its page lists (when it is a connection) holding the page asked for.
    const one = 1 + below.fixed + (pageSize ?? options.defaultListSize) * below.perItem;
    if (!isListType(getNullableType(field.type))) return { fixed: one, perItem: 0 };
    // A connection's own lists (edges, nodes) are one page: its field multiplies them.
    if (isConnection(parent)) return { fixed: 0, perItem: one };
    return { fixed: (pageSize ?? options.defaultListSize) * one, perItem: 0 };
  };

  /** The page size a `first`/`last` field asks for, or null for a field without them. */
  const connectionSize = (node: FieldNode, field: GraphQLField<unknown, unknown>): number | null => {
    const pageArguments = field.args.filter((a) => a.name === 'first' || a.name === 'last');
    if (pageArguments.length === 0) return null;
    let size: number | null = null;
    for (const argument of pageArguments) {
      const given = node.arguments?.find((a) => a.name.value === argument.name)?.value;
      // An argument left out, or given a variable the request left out, takes the argument's default.
      const absent = !given || (given.kind === Kind.VARIABLE && variableValues[given.name.value] === undefined);
      const value = absent ? argument.defaultValue : valueFromAST(given, argument.type, variableValues);
      if (absent && value === undefined) continue;
      // Not a number (null, or a value validation will refuse): as many as a connection serves.
      const asked = typeof value === 'number' && Number.isFinite(value) ? value : options.maxListSize;
      size = Math.max(size ?? 0, asked);
    }
    // Neither given nor defaulted: as many as a connection serves.
    return Math.min(Math.max(size ?? options.maxListSize, 0), options.maxListSize);
  };

  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return { cost: 0, visits };
  return { cost: ofSelectionSet(operation.selectionSet, rootType, true).fixed, visits };
}

/** The operation's own variable defaults, as `valueFromAST` expects values. */
function defaultsOf(schema: GraphQLSchema, operation: OperationDefinitionNode): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type);
    if (definition.defaultValue && type) values[definition.variable.name.value] = valueFromAST(definition.defaultValue, type as never);
  }
  return values;
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/** A Relay connection type: it has `pageInfo`, and its lists are one page. */
function isConnection(type: GraphQLCompositeType): boolean {
  return Boolean(fieldOf(type, 'pageInfo'));
}

/** The refusal of an operation over budget, with its cost and the budget in `extensions`. */
export function costLimitError(cost: number, maxCost: number): GraphQLError {
  const shown = cost < 1e15 ? Math.ceil(cost) : Number.MAX_SAFE_INTEGER;
  return new GraphQLError(`Operation costs ${cost < 1e15 ? shown : 'more than 10^15'} points; the limit is ${maxCost}`, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', cost: shown, maxCost },
  });
}
