/** psl (`psl.get`: the registrable domain, ICANN and private sections). */
import psl from 'psl';
import { benchCanister } from './lookup.ts';

export default benchCanister((d) => psl.get(d));
