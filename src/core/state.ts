// Where the lab keeps its state (golden image, servers, keys, inventories, logs, records): one
// layout for every layer, never in git. docs/local.md ("State directory") describes the same tree.
import path from 'node:path';

/**
 * The state directory: $ASD_LAB_STATE when set, else /var/lib/asd-lab when running as root, else
 * ./.asd-lab (ignored by git). The scripts (scripts/lib/common.sh, create_server.py) use the same rule.
 */
export function resolveStateDir(
  env: NodeJS.ProcessEnv = process.env,
  uid: number = process.getuid?.() ?? -1,
  cwd: string = process.cwd(),
): string {
  if (env.ASD_LAB_STATE) return path.resolve(cwd, env.ASD_LAB_STATE);
  if (uid === 0) return '/var/lib/asd-lab';
  return path.join(cwd, '.asd-lab');
}

/** The layout of a state directory shared by the cohorts on this host. */
export function statePaths(stateDir: string) {
  const app = path.join(stateDir, 'app');
  return {
    root: stateDir,
    images: path.join(stateDir, 'image'),
    currentImage: path.join(stateDir, 'image', 'current'),
    servers: path.join(stateDir, 'servers'),
    server: (name: string) => path.join(stateDir, 'servers', name),
    /** The lab's admin key of a cohort (asd-admin on every server). */
    keys: (cohort: string) => path.join(stateDir, 'keys', cohort),
    labKey: (cohort: string) => path.join(stateDir, 'keys', cohort, 'id_ed25519'),
    kvmProbe: path.join(stateDir, 'kvm-probe'),
    /** Runs of `asd-lab pipeline run`, one folder each. */
    pipelineRuns: path.join(stateDir, 'pipeline'),
    /** The reference application's images and deployments. */
    app: {
      root: app,
      images: path.join(app, 'images'),
      /** One directory per release: oci/ (OCI image layout), image.json, sbom.spdx.json. */
      image: (version: string) => path.join(app, 'images', version),
      /** Unpacked root filesystems, one per image digest, shared read-only by the instances. */
      rootfs: (digest: string) => path.join(app, 'rootfs', digest.replace(/^sha256:/, '')),
      /** Deployment records of a cohort, and of one environment of one candidate. */
      deployments: (cohort: string) => path.join(app, 'deploy', cohort),
      env: (cohort: string, candidate: string, env: string) => path.join(app, 'deploy', cohort, candidate, env),
      /** Mount points of the remote volumes of a cohort, and of one environment. */
      cohortMounts: (cohort: string) => path.join(app, 'mnt', cohort),
      mounts: (cohort: string, candidate: string, env: string) => path.join(app, 'mnt', cohort, candidate, env),
    },
  };
}

export interface CohortPaths {
  /** The state directory the cohort lives in. */
  state: string;
  cohortDir: string;
  /** The Ansible inventory generated from the model and the running servers. */
  inventory: string;
  /** The cohort's lab CA (on the controller, never on the servers). */
  pki: string;
  logs: string;
  keys: string;
  labKey: string;
  /** The last verify report (status, serve, dossier and bundle read it). */
  lastVerify: string;
  /** Alertmanager notifications and drill timelines. */
  drills: string;
  /** The data module's records of one candidate (backups, restore checks, passwords, primary). */
  data: (candidate: string) => string;
  /** The developers' reports of one candidate. */
  reports: (candidate: string) => string;
  /** The cohort file `reproduce` writes for one candidate. */
  reproduceFile: (candidate: string) => string;
  /** The record of a candidate's last successful Ansible run (src/tools/converge-record.ts). */
  convergeRecord: (candidate: string) => string;
  /** Held by the running `up` or `down` of the cohort (src/lifecycle/lock.ts): who, since when. */
  lock: string;
  /** The cohort's jump host (a dedicated sshd on the lab host, see src/targets/local/jump.ts). */
  jump: JumpPaths;
}

export interface JumpPaths {
  dir: string;
  /** Its own sshd_config (never the host's /etc/ssh). */
  config: string;
  /** Its own host key (ed25519); the .pub goes into every candidate's known_hosts. */
  hostKey: string;
  /** One authorized_keys file per account, named by the account (sshd's AuthorizedKeysFile %u). */
  authorizedKeys: string;
  /** Diffie-Hellman moduli of at least 3072 bits, as the ssh role keeps on the servers. */
  moduli: string;
  pid: string;
  log: string;
  /** The accounts made on the host (name, uid, candidate): what down removes. */
  accounts: string;
}

/** The layout of one cohort's part of the state directory. */
export function cohortPaths(cohort: string, stateDir: string = resolveStateDir()): CohortPaths {
  const cohortDir = path.join(stateDir, 'cohorts', cohort);
  const shared = statePaths(stateDir);
  return {
    state: stateDir,
    cohortDir,
    inventory: path.join(cohortDir, 'inventory.yml'),
    pki: path.join(cohortDir, 'pki'),
    logs: path.join(cohortDir, 'logs'),
    keys: shared.keys(cohort),
    labKey: shared.labKey(cohort),
    lastVerify: path.join(cohortDir, 'last-verify.json'),
    drills: path.join(cohortDir, 'monitoring', 'drills.jsonl'),
    data: (candidate) => path.join(cohortDir, 'data', candidate),
    reports: (candidate) => path.join(cohortDir, 'reports', candidate),
    reproduceFile: (candidate) => path.join(cohortDir, `reproduce-${candidate}.yaml`),
    convergeRecord: (candidate) => path.join(cohortDir, 'converge', `${candidate}.json`),
    lock: path.join(cohortDir, 'lock'),
    // Not under cohortDir (0700: the CA, passwords): sshd reads authorized_keys as the account,
    // which must be able to walk down to it.
    jump: jumpPaths(path.join(stateDir, 'jump', cohort)),
  };
}

function jumpPaths(dir: string): JumpPaths {
  return {
    dir,
    config: path.join(dir, 'sshd_config'),
    hostKey: path.join(dir, 'ssh_host_ed25519_key'),
    authorizedKeys: path.join(dir, 'authorized_keys'),
    moduli: path.join(dir, 'moduli'),
    pid: path.join(dir, 'sshd.pid'),
    log: path.join(dir, 'sshd.log'),
    accounts: path.join(dir, 'accounts.json'),
  };
}
