import { DateTimeScalar } from '@shopgraph/kit';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Cart } from './Cart.ts';
import { Mutation } from './Mutation.ts';
import { PriceChange } from './PriceChange.ts';
import { PriceQuote } from './PriceQuote.ts';
import { Product } from './Product.ts';
import { Promotion } from './Promotion.ts';
import { Query } from './Query.ts';
import { QuoteLine } from './QuoteLine.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Cart, Product, Promotion, PriceChange, PriceQuote, QuoteLine };
