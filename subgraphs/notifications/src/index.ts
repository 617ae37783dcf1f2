import { runSubgraph } from '@shopgraph/kit';
import { notificationsSubgraph } from './subgraph.ts';

runSubgraph(notificationsSubgraph);
