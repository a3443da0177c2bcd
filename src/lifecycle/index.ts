// The lab's lifecycle as a library: what the CLI, `reproduce`, the benchmarks and the e2e tests call.
export { writeAccess, type AccessOptions, type AccessOutput, type AccessResult } from './access.ts';
export { selectCandidates } from './candidates.ts';
export { down, planDown, purgeCohort, type DownOptions, type DownPlan, type DownResult } from './down.ts';
export { buildInventory, cohortInventory, renderInventory, writeInventory, type InventoryOptions } from './inventory.ts';
export { acquireLock, holderAlive, LockBusyError, withLock, type Lock, type LockHolder, type LockOptions } from './lock.ts';
export { lineSink, silentSink, type ProgressSink, type Step } from './progress.ts';
export { reproduce, type ReproduceOptions, type ReproduceResult } from './reproduce.ts';
export { planUp, up, type CandidateUp, type UpOptions, type UpPlan, type UpResult } from './up.ts';
export { labServers, labStatus, verifyLab, type VerifyLabOptions } from './verify.ts';
export { awsPaths, awsPreflight, downAws, upAws, writeAwsInventory, type AwsDownResult, type AwsOptions } from './aws.ts';
export { applyOnAws } from './k8s.ts';
