/** Baseline: no list at all (the org domain is the last two labels), for the size and call overhead. */
import { benchCanister } from './lookup.ts';

export default benchCanister((d) => d.split('.').slice(-2).join('.'));
