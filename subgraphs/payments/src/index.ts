import { runSubgraph } from '@shopgraph/kit';
import { paymentsSubgraph } from './subgraph.ts';

runSubgraph(paymentsSubgraph);
