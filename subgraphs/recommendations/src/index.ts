import { runSubgraph } from '@shopgraph/kit';
import { recommendationsSubgraph } from './subgraph.ts';

runSubgraph(recommendationsSubgraph);
