import { runSubgraph } from '@shopgraph/kit';
import { ordersSubgraph } from './subgraph.ts';

runSubgraph(ordersSubgraph);
