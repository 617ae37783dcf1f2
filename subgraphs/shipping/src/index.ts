import { runSubgraph } from '@shopgraph/kit';
import { shippingSubgraph } from './subgraph.ts';

runSubgraph(shippingSubgraph);
