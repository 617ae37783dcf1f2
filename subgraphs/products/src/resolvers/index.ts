import { DateTimeScalar } from '@shopgraph/kit';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Category } from './Category.ts';
import { Mutation } from './Mutation.ts';
import { Product } from './Product.ts';
import { Query } from './Query.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Product, Category };
