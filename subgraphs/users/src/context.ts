import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { AddressRow, UserRow } from './db/schema.ts';
import type { TokenService } from './services/tokens.service.ts';
import type { UsersService } from './services/users.service.ts';

/** What every users resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  users: UsersService;
  tokens: TokenService;
  loaders: {
    user: DataLoader<string, UserRow | null>;
    addresses: DataLoader<string, AddressRow[]>;
  };
}

export function createLoaders(users: UsersService): Context['loaders'] {
  return {
    user: new DataLoader((ids) => users.byIds(ids)),
    addresses: new DataLoader((ids) => users.addressesOf(ids)),
  };
}
