import { DateTimeScalar } from '@shopgraph/kit';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Cart } from './Cart.ts';
import { CartItem } from './CartItem.ts';
import { Mutation } from './Mutation.ts';
import { Order } from './Order.ts';
import { OrderItem } from './OrderItem.ts';
import { OrderStatusEvent } from './OrderStatusEvent.ts';
import { Query } from './Query.ts';
import { Subscription } from './Subscription.ts';
import { User } from './User.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Subscription, Order, OrderStatusEvent, OrderItem, User, Cart, CartItem };
