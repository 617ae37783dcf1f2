import { runSubgraph } from '@shopgraph/kit';
import { inventorySubgraph } from './subgraph.ts';

runSubgraph(inventorySubgraph);
