import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { LearningService } from './services/learning.service.ts';
import type { ProductRef, RecommendationsService } from './services/recommendations.service.ts';
import type { Training } from './jobs/training.ts';

/** What every recommendations resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  recommendations: RecommendationsService;
  learning: LearningService;
  training: Training;
  loaders: {
    /** `alsoBought` of every Product of one `_entities` batch in one statement (key: product id and `first`). */
    alsoBought: DataLoader<{ id: string; first: number }, ProductRef[], string>;
    similar: DataLoader<{ id: string; first: number }, ProductRef[], string>;
  };
}

/** Batches by `first` (a listing asks the same `first` of every product: one statement). */
function listLoader(load: (ids: readonly string[], first: number) => Promise<ProductRef[][]>): DataLoader<{ id: string; first: number }, ProductRef[], string> {
  return new DataLoader(
    async (keys) => {
      const results = new Map<string, ProductRef[]>();
      for (const first of new Set(keys.map((k) => k.first))) {
        const ids = keys.filter((k) => k.first === first).map((k) => k.id);
        (await load(ids, first)).forEach((list, i) => results.set(`${ids[i]}:${first}`, list));
      }
      return keys.map((k) => results.get(`${k.id}:${k.first}`) ?? []);
    },
    { cacheKeyFn: (k) => `${k.id}:${k.first}` },
  );
}

export function createLoaders(recommendations: RecommendationsService): Context['loaders'] {
  return {
    alsoBought: listLoader((ids, first) => recommendations.alsoBoughtMany(ids, first)),
    similar: listLoader((ids, first) => recommendations.similarMany(ids, first)),
  };
}
