import { DateTimeScalar } from '@shopgraph/kit';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import { Mutation } from './Mutation.ts';
import { Product } from './Product.ts';
import { Query } from './Query.ts';
import { RecommendationModel } from './RecommendationModel.ts';
import { User } from './User.ts';

export const resolvers: Resolvers = { DateTime: DateTimeScalar, Query, Mutation, Product, User, RecommendationModel };
