import { DateTimeScalar } from '@shopgraph/kit';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { CreditNote, Invoice } from './Invoice.ts';
import { Mutation } from './Mutation.ts';
import { Order } from './Order.ts';
import { Payment } from './Payment.ts';
import { Query } from './Query.ts';
import { Refund } from './Refund.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Order, Payment, Refund, Invoice, CreditNote };
