import { DateTimeScalar } from '@shopgraph/kit';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Mutation } from './Mutation.ts';
import { Order } from './Order.ts';
import { Product } from './Product.ts';
import { Query } from './Query.ts';
import { Shipment } from './Shipment.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Order, Product, Shipment };
