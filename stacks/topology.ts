// The AWS layout of a cohort, decided once and engine-neutral (no cdktf here): which stacks, which
// hosts per candidate, which subnet each lands in, which flows each role accepts. The constructs only
// translate this into resources, and the tests and docs read the same tables.
import ipaddr from 'ipaddr.js';
import { t } from '../src/core/i18n/index.ts';
import { flowsTo, type Flow, type FlowId, type FlowModules } from '../src/core/flows.ts';
import { instanceTypesOf, ROLES, serversOf, type Cohort, type Role } from '../src/core/model/cohort.ts';
import { RESERVED_USERS } from './cloud-init.ts';
import { AsdError } from '../src/core/errors.ts';

/** Marker of every placeholder a candidate plan uses before the network stack is applied. */
export const PENDING = 'pending-network-apply';

/** Bad input for the AWS target: every problem at once, before anything is synthesized. */
export class AwsInputError extends AsdError {
  declare readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'), { kind: 'usage', problems }); // the cohort does not fit the aws target
  }
}

/** Root volume sizes (GiB, gp3). The Debian 12 image needs 2 GiB; 10 leaves room for packages and logs. */
export const ROOT_GIB: Record<Role, number> = { gateway: 8, app: 10, db: 10, mon: 10, k8s: 20 };

export interface HostPlan {
  /** Server name from the cohort (DNS label), unique within the candidate. */
  name: string;
  role: Role;
  instanceType: string;
  /** 0 = first availability zone, 1 = second; servers alternate so db1/db2 land in different zones. */
  zone: 0 | 1;
  /** Bastions live in a public subnet with a public IPv4; everything else is private. */
  public: boolean;
  rootGiB: number;
  /** Extra encrypted data volume (db servers). */
  dataGiB?: number;
}

export interface CandidatePlan {
  id: string;
  stackName: string;
  hosts: HostPlan[];
  /** Key pair name (AWS key pair names are per account and region: prefixed with the cohort). */
  keyName: string;
}

export interface AwsTopology {
  cohort: string;
  region: string;
  zones: [string, string];
  networkStack: string;
  /** aws.vpcCidr with its host bits cleared (AWS refuses 10.100.5.0/16). */
  vpcCidr: string;
  /** The cohort's shared bastion (bastion: per-cohort), in the network stack. */
  sharedBastion?: HostPlan;
  candidates: CandidatePlan[];
  /** Subnet CIDRs, index = zone. */
  subnets: { public: [string, string]; private: [string, string] };
  /** Every EC2 instance type of the cohort (bastion included), sorted: both zones must offer each. */
  instanceTypes: string[];
  /** AWS Academy Learner Lab: no IAM resource, LabInstanceProfile and LabRole, no budget. */
  learnerLab: boolean;
  /** The cohort's monthly budget; absent in Learner Lab mode and when admin.email is not set. */
  budget?: { monthlyUsd: number; email: string };
}

/** Default monthly budget per candidate (USD): about 730 hours of the reference lab (docs/aws.md, Costs). */
export const BUDGET_USD_PER_CANDIDATE = 120;

/** Learner Lab's existing instance profile and role (AWS Academy creates them in every lab account). */
export const LAB_INSTANCE_PROFILE = 'LabInstanceProfile';
export const LAB_ROLE = 'LabRole';

/**
 * Where a security-group rule may come from. 'bastion' is the cohort's or the candidate's own
 * bastion; 'role' is one of the candidate's own security groups.
 */
export type Source = { kind: 'admin' } | { kind: 'bastion' } | { kind: 'role'; role: Role };

export interface IngressRule {
  /** The flow of src/core/flows.ts this rule carries. */
  flow: FlowId;
  ports: [number, number];
  from: Source[];
  why: string;
}

/**
 * A flow's sources as security-group peers. The servers are private: end users ('public') come
 * through the bastion, and the trainers' networks. 'subnet' opens nothing here: the private
 * subnets are shared by every candidate, so the candidate's own servers are named by role instead.
 */
function awsSources(f: Flow): Source[] {
  const out: Source[] = [];
  const add = (s: Source) => {
    if (!out.some((x) => JSON.stringify(x) === JSON.stringify(s))) out.push(s);
  };
  for (const s of f.from) {
    if (s.kind === 'public') {
      add({ kind: 'bastion' });
      add({ kind: 'admin' });
    } else if (s.kind === 'admin' || s.kind === 'bastion') add({ kind: s.kind });
    else if (s.kind === 'role') add({ kind: 'role', role: s.role });
  }
  return out;
}

/** The security-group rules of each role for a cohort with these modules, from the flows table. */
export function roleIngress(modules: FlowModules): Record<Role, IngressRule[]> {
  return Object.fromEntries(
    ROLES.map((r) => [
      r,
      flowsTo(r, modules).map(
        (f): IngressRule => ({
          flow: f.id as FlowId,
          ports: [f.port, f.port],
          from: awsSources(f),
          why: f.why,
        }),
      ),
    ]),
  ) as Record<Role, IngressRule[]>;
}

/**
 * The flows each role accepts with every module on, and nothing else (default deny). Sources that
 * the candidate does not have (no mon server, say) are dropped by the construct. Read by the
 * security-group constructs and the tests; docs/flows.md is generated from the same table.
 */
export const ROLE_INGRESS: Record<Role, IngressRule[]> = roleIngress({ data: true, monitoring: true });

/** Graviton (arm64) families: t4g, m6g, c7gn, r8gd... The pinned image is Debian 12 amd64. */
const ARM_TYPE = /^[a-z]+\d+g[a-z]*\./;

export const stackNames = (cohort: string) => ({
  network: `${cohort}-network`,
  candidate: (id: string) => `${cohort}-cand-${id}`,
});

/** Split an IPv4 CIDR into 4 equal quarters: public a, public b, private a, private b. */
function quarters(vpcCidr: string): string[] {
  const [addr, prefix] = ipaddr.parseCIDR(vpcCidr);
  const base = addr.toByteArray().reduce((acc, b) => acc * 256 + b, 0);
  const size = 2 ** (32 - (prefix + 2));
  const start = base - (base % (size * 4));
  return [0, 1, 2, 3].map((i) => {
    const n = start + i * size;
    const bytes = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256);
    return `${bytes.join('.')}/${prefix + 2}`;
  });
}

/** Compile the cohort into its AWS layout; throws AwsInputError listing every problem. */
export function awsTopology(cohort: Cohort): AwsTopology {
  const problems: string[] = [];
  const aws = cohort.aws;
  if (cohort.admin.cidrs.length === 0) problems.push(t('aws.adminCidrsRequired'));
  if (!cohort.expires) problems.push(t('model.expiresRequired'));
  const [vpcAddr, vpcPrefix] = ipaddr.parseCIDR(aws.vpcCidr);
  if (vpcAddr.kind() !== 'ipv4' || vpcPrefix < 16 || vpcPrefix > 22) {
    problems.push(t('aws.vpcCidr', { got: aws.vpcCidr }));
  }
  if (aws.bastion === 'per-cohort') {
    // Each candidate gets a jump account named after its id on the shared bastion.
    for (const c of cohort.candidates) if (RESERVED_USERS.has(c.id)) problems.push(t('aws.reservedCandidateId', { id: c.id }));
  }
  const names = stackNames(cohort.cohort);
  const zones: [string, string] = [`${aws.region}a`, `${aws.region}b`];
  const checkType = (type: string, where: string) => {
    if (ARM_TYPE.test(type)) problems.push(t('aws.armInstanceType', { type, where }));
  };

  const candidates: CandidatePlan[] = cohort.candidates.map((cand, ci) => {
    const types = instanceTypesOf(cohort, cand);
    const servers = serversOf(cohort, cand).filter((s) => !(s.role === 'gateway' && aws.bastion === 'per-cohort'));
    // A per-candidate bastion is the candidate's gateway server; add one when the list has none.
    if (aws.bastion === 'per-candidate' && !servers.some((s) => s.role === 'gateway')) {
      servers.unshift({ name: 'gateway', role: 'gateway', memoryMiB: 256, cpus: 0.5 });
    }
    if (cohort.modules.kubernetes && !servers.some((s) => s.role === 'k8s')) {
      servers.push({ name: servers.some((s) => s.name === 'k8s') ? 'k8s-node' : 'k8s', role: 'k8s', memoryMiB: 2048, cpus: 2 });
    }
    let privateIndex = 0;
    const hosts = servers.map((s): HostPlan => {
      const isPublic = s.role === 'gateway';
      const zone = (isPublic ? 0 : privateIndex++ % 2) as 0 | 1;
      // Name the field the type comes from, so that one wrong default is reported once.
      checkType(
        types[s.role],
        cand.overrides?.instanceTypes?.[s.role]
          ? `candidates[${ci}].overrides.instanceTypes.${s.role}`
          : `aws.instanceTypes.${s.role}`,
      );
      return {
        name: s.name,
        role: s.role,
        instanceType: types[s.role],
        zone,
        public: isPublic,
        rootGiB: ROOT_GIB[s.role],
        ...(s.role === 'db' ? { dataGiB: aws.dataVolumeGiB } : {}),
      };
    });
    return { id: cand.id, stackName: names.candidate(cand.id), hosts, keyName: `${cohort.cohort}-${cand.id}` };
  });

  const sharedBastion: HostPlan | undefined =
    aws.bastion === 'per-cohort'
      ? {
          name: 'bastion',
          role: 'gateway',
          instanceType: aws.instanceTypes.gateway,
          zone: 0,
          public: true,
          rootGiB: ROOT_GIB.gateway,
        }
      : undefined;
  if (sharedBastion) checkType(sharedBastion.instanceType, 'aws.instanceTypes.gateway');

  let subnets = { public: ['', ''] as [string, string], private: ['', ''] as [string, string] };
  if (problems.length === 0) {
    const q = quarters(aws.vpcCidr);
    subnets = { public: [q[0]!, q[1]!], private: [q[2]!, q[3]!] };
    // AWS keeps 5 addresses of every subnet.
    const perSubnet = 2 ** (32 - (vpcPrefix + 2)) - 5;
    const privateHosts = candidates.reduce((n, c) => n + c.hosts.filter((h) => !h.public).length, 0);
    if (privateHosts > 2 * perSubnet)
      problems.push(t('aws.vpcTooSmall', { cidr: aws.vpcCidr, hosts: privateHosts, capacity: 2 * perSubnet }));
  }
  if (problems.length > 0) throw new AwsInputError([...new Set(problems)]);
  const vpcCidr = `${ipaddr.IPv4.networkAddressFromCIDR(aws.vpcCidr).toString()}/${vpcPrefix}`;
  const instanceTypes = [
    ...new Set([
      ...candidates.flatMap((c) => c.hosts.map((h) => h.instanceType)),
      ...(sharedBastion ? [sharedBastion.instanceType] : []),
    ]),
  ].sort();
  const email = cohort.admin.email;
  return {
    cohort: cohort.cohort,
    region: aws.region,
    zones,
    networkStack: names.network,
    vpcCidr,
    sharedBastion,
    candidates,
    subnets,
    instanceTypes,
    learnerLab: aws.learnerLab,
    ...(!aws.learnerLab && email
      ? { budget: { monthlyUsd: aws.monthlyBudgetUsd ?? BUDGET_USD_PER_CANDIDATE * cohort.candidates.length, email } }
      : {}),
  };
}
