import { money } from '@shopgraph/kit';
import type { PromotionResolvers } from '../__generated__/resolvers-types.ts';
import { isActive } from '../services/promotions.service.ts';

export const Promotion: PromotionResolvers = {
  minSubtotal: (promotion) => (promotion.minSubtotal !== null && promotion.currency ? money(promotion.minSubtotal, promotion.currency) : null),
  active: (promotion) => isActive(promotion),
};
