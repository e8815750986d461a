/** tldts (the shipped snapshot of src/dmarc/organizational-domain.ts). */
import { organizationalDomain } from '../../src/dmarc/organizational-domain.ts';
import { benchCanister } from './lookup.ts';

export default benchCanister((d) => organizationalDomain(d));
