/** The notification workers as a process of their own (see `createNotificationsWorker` in subgraph.ts). */
import { runWorker } from '@shopgraph/kit';
import { notificationsSubgraph } from './subgraph.ts';

runWorker(notificationsSubgraph);
