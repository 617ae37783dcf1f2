import type { RecommendationModelResolvers } from '../__generated__/resolvers-types.ts';

export const RecommendationModel: RecommendationModelResolvers = {
  version: (model) => String(model.version),
};
