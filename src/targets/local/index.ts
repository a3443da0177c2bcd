// The local target (CP1): golden image, per-candidate networks, servers as containers or VMs.
// Engine-neutral: the behaviour lives in scripts/ (bash, with Python and PowerShell twins).
export { LocalError } from './errors.ts';
export { bridgeName, cohortHash, machineName, IFNAMSIZ_MAX, MACHINE_NAME_MAX, MAX_CANDIDATES } from './naming.ts';
export {
  allocateSubnets,
  FIRST_SERVER_HOST,
  gatewayOf,
  maxServers,
  overlaps,
  parsePool,
  serverAddresses,
  subnetCapacity,
} from './addressing.ts';
export { planCandidate, planCohort, type CandidatePlan, type ServerPlan } from './plan.ts';
export { resolveStateDir, statePaths } from '../../core/state.ts';
export {
  checkHost,
  INOTIFY_PER_SERVER,
  inotifyShortfall,
  preflight,
  probeKvm,
  snapshotHost,
  TOOLS,
  type Accel,
  type Driver,
  type HostSnapshot,
  type PreflightOptions,
} from './preflight.ts';
export { listServers, readEnvFile, type LocalServer } from './servers.ts';
export { runScript, SCRIPTS_DIR } from './scripts.ts';
export {
  createServer,
  destroyServer,
  downNetwork,
  ensureImage,
  ensureLabKey,
  upNetwork,
  type CreateOptions,
  type ImageInfo,
  type LabKey,
  type LocalOptions,
} from './driver.ts';
