import { DateTimeScalar } from '@shopgraph/kit';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Cart } from './Cart.ts';
import { CartItem } from './CartItem.ts';
import { Mutation } from './Mutation.ts';
import { Order } from './Order.ts';
import { OrderItem } from './OrderItem.ts';
import { Query } from './Query.ts';
import { User } from './User.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Order, OrderItem, User, Cart, CartItem };
