import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { DeliveriesService } from './services/deliveries.service.ts';
import type { Preferences, PreferencesService } from './services/preferences.service.ts';
import type { WebhooksService } from './services/webhooks.service.ts';

/** What every notifications resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  preferences: PreferencesService;
  webhooks: WebhooksService;
  deliveries: DeliveriesService;
  loaders: {
    /** Preferences of every User of one `_entities` batch in one query. */
    preferences: DataLoader<string, Preferences>;
  };
}

export function createLoaders(preferences: PreferencesService): Context['loaders'] {
  return { preferences: new DataLoader((ids) => preferences.byUserIds(ids)) };
}
