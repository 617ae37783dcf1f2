import { runSubgraph } from '@shopgraph/kit';
import { pricingSubgraph } from './subgraph.ts';

runSubgraph(pricingSubgraph);
