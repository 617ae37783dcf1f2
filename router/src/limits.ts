import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/**
 * Validation rules that bound the work one operation can ask for. They run once per distinct
 * document (Apollo caches validation), before any subgraph is called.
 */

function limitError(message: string, limit: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit } });
}

/** Maximum nesting of fields. Introspection fields (`__schema`, `__type`) do not count. */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const depth = measureDepth(node.selectionSet, (name) => context.getFragment(name), new Set());
      if (depth > maxDepth) context.reportError(limitError(`Operation is ${depth} levels deep; the limit is ${maxDepth}`, 'depth'));
    },
  });
}

function measureDepth(
  selectionSet: SelectionSetNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
  visiting: Set<string>,
): number {
  let max = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      const below = selection.selectionSet ? measureDepth(selection.selectionSet, fragment, visiting) : 0;
      max = Math.max(max, 1 + below);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, measureDepth(selection.selectionSet, fragment, visiting));
    } else {
      const name = selection.name.value;
      const definition = fragment(name);
      // A fragment cycle is reported by GraphQL's own rules; do not loop on it.
      if (!definition || visiting.has(name)) continue;
      visiting.add(name);
      max = Math.max(max, measureDepth(definition.selectionSet, fragment, visiting));
      visiting.delete(name);
    }
  }
  return max;
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

/** Maximum number of root fields in one operation (fragments included). */
export function rootFieldLimit(maxRootFields: number) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const count = countFields(node.selectionSet, (name) => context.getFragment(name), new Set());
      if (count > maxRootFields) context.reportError(limitError(`Operation selects ${count} root fields; the limit is ${maxRootFields}`, 'rootFields'));
    },
  });
}

function countFields(
  selectionSet: SelectionSetNode,
  fragment: (name: string) => FragmentDefinitionNode | null | undefined,
  visiting: Set<string>,
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += selection.name.value === '__typename' ? 0 : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countFields(selection.selectionSet, fragment, visiting);
    else {
      const definition = fragment(selection.name.value);
      if (!definition || visiting.has(selection.name.value)) continue;
      visiting.add(selection.name.value);
      count += countFields(definition.selectionSet, fragment, visiting);
      visiting.delete(selection.name.value);
    }
  }
  return count;
}
