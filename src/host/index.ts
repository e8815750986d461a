// Node IC host: public entry point (see host.ts for the overview, backend.ts for the PocketIC switch).
export { type ActorOptions, createHostActor, decodeReturn, type HostActor } from './actor.ts';
export {
  type Backend,
  type BackendActor,
  chooseBackend,
  nodeHostBackend,
  pocketIcBackend,
} from './backend.ts';
export { CertificateSigner } from './certificate.ts';
export {
  type CanisterInfo,
  IcHost,
  type IcHostOptions,
  InstallError,
  type InstalledCanister,
  type InstallOptions,
  localCanisterId,
  type ResumeOptions,
  type UpgradeOptions,
} from './host.ts';
export { StableMemory } from './memory.ts';
export { type CallOptions, CallRejectedError, type CallResult, CanisterTrap, RejectCode } from './types.ts';
export { addExports, inspectWasm, type PreparedWasm, prepareWasm } from './wasm.ts';
