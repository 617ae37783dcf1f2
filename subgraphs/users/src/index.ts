import { runSubgraph } from '@shopgraph/kit';
import { usersSubgraph } from './subgraph.ts';

runSubgraph(usersSubgraph);
