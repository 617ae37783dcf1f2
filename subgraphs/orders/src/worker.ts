/** The checkout saga worker as a process of its own (see `createOrdersWorker` in subgraph.ts). */
import { runWorker } from '@shopgraph/kit';
import { ordersSubgraph } from './subgraph.ts';

runWorker(ordersSubgraph);
