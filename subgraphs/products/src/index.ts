import { runSubgraph } from '@shopgraph/kit';
import { productsSubgraph } from './subgraph.ts';

runSubgraph(productsSubgraph);
