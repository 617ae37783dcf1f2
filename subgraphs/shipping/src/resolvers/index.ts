import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Product } from './Product.ts';

export const resolvers: Resolvers = { Product };
