// The lab model: one cohort file describes a whole lab (candidates, target, options).
// Everything else (stacks, servers, inventories, checks) is compiled from the parsed value.
// This module is engine-neutral: it must never import cdktf or any provider.
import ipaddr from 'ipaddr.js';
import ssh2 from 'ssh2';
import { z } from 'zod';
import { t } from '../i18n/index.ts';
import { sloSchema } from './slo.ts';
import { appSchema } from './containers.ts';
import { dataSchema } from './data.ts';

/** Roles of the reference lab; each maps to Ansible roles and, on AWS, to an instance type. */
export const ROLES = ['gateway', 'app', 'db', 'mon', 'k8s'] as const;
export type Role = (typeof ROLES)[number];

/** The regions an AWS Academy Learner Lab account may use (AWS Academy's Learner Lab guide). */
export const LEARNER_LAB_REGIONS = ['us-east-1', 'us-west-2'] as const;
const DEFAULT_REGION = 'eu-west-3';

const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

const dnsLabel = (max: number) =>
  z.string().check((ctx) => {
    const v = ctx.value;
    if (!DNS_LABEL.test(v) || v.length > max) {
      ctx.issues.push({ code: 'custom', input: v, message: t('model.dnsLabel', { max, got: JSON.stringify(v) }) });
    }
  });

/** An OpenSSH public key line, checked by parsing it (not by a regular expression). */
export const sshPublicKey = z.string().check((ctx) => {
  const v = ctx.value.trim();
  const parsed = ssh2.utils.parseKey(v);
  const short = JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (/^---- BEGIN SSH2 PUBLIC KEY ----/m.test(v)) {
    // PuTTYgen's "Save public key" writes RFC 4716; authorized_keys wants the one-line OpenSSH form.
    ctx.issues.push({ code: 'custom', input: ctx.value, message: t('model.sshKeyRfc4716') });
  } else if (/PRIVATE KEY/.test(v)) {
    ctx.issues.push({ code: 'custom', input: '(redacted)', message: t('model.sshKeyPrivate') });
  } else if (parsed instanceof Error || Array.isArray(parsed)) {
    ctx.issues.push({ code: 'custom', input: ctx.value, message: t('model.sshKey', { got: short }) });
  } else if (parsed.getPrivatePEM() !== null) {
    ctx.issues.push({ code: 'custom', input: '(redacted)', message: t('model.sshKeyPrivate') });
  }
});

/** An IPv4 or IPv6 CIDR such as 203.0.113.0/24. */
export const cidr = z.string().check((ctx) => {
  if (!ipaddr.isValidCIDR(ctx.value)) {
    ctx.issues.push({ code: 'custom', input: ctx.value, message: t('model.cidr', { got: JSON.stringify(ctx.value) }) });
  }
});

/** A CIDR from which SSH may be opened: never the whole Internet. */
const adminCidr = cidr.check((ctx) => {
  if (ipaddr.isValidCIDR(ctx.value) && ipaddr.parseCIDR(ctx.value)[1] === 0) {
    ctx.issues.push({ code: 'custom', input: ctx.value, message: t('model.cidrWorld', { got: ctx.value }) });
  }
});

/** A real day of the calendar as YYYY-MM-DD (2030-02-30 is not: Date.parse rolls it over to March). */
export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const ms = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}

const isoDate = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : v;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    ctx.issues.push({ code: 'custom', input: v, message: t('model.date', { got: JSON.stringify(s) }) });
    return z.NEVER;
  }
  if (!isCalendarDate(s)) {
    // 2030-02-30 has the right shape but is no day: Date.parse would roll it over to March.
    const [y, m] = s.split('-').map(Number) as [number, number];
    const days = m >= 1 && m <= 12 ? new Date(Date.UTC(y, m, 0)).getUTCDate() : 0;
    const message = days
      ? t('model.dateNotReal', { got: JSON.stringify(s), month: s.slice(0, 7), days })
      : t('model.date', { got: JSON.stringify(s) });
    ctx.issues.push({ code: 'custom', input: v, message });
    return z.NEVER;
  }
  return s;
});

export const serverSpec = z.strictObject({
  name: dnsLabel(12).describe('server name, unique within a candidate (DNS label, at most 12 characters)'),
  role: z.enum(ROLES).describe('what the server does: gateway (bastion), app, db, mon, k8s'),
  /** Memory cap, in MiB (local target: cgroup limit; vm driver: guest RAM). */
  memoryMiB: z.number().int().min(128).max(16384).default(512).describe('memory cap in MiB (local target)'),
  cpus: z.number().min(0.1).max(16).default(1).describe('CPU cap in cores (local target)'),
});
export type ServerSpec = z.output<typeof serverSpec>;

/** The reference lab of one candidate: bastion, application, PostgreSQL primary and replica, monitoring. */
export const REFERENCE_SERVERS: ServerSpec[] = [
  { name: 'gateway', role: 'gateway', memoryMiB: 256, cpus: 0.5 },
  { name: 'app', role: 'app', memoryMiB: 768, cpus: 1 },
  { name: 'db1', role: 'db', memoryMiB: 512, cpus: 1 },
  { name: 'db2', role: 'db', memoryMiB: 512, cpus: 1 },
  { name: 'mon', role: 'mon', memoryMiB: 512, cpus: 1 },
];

const instanceTypes = z.strictObject({
  gateway: z.string().default('t3.nano').describe('bastion'),
  app: z.string().default('t3.small').describe('application server'),
  db: z.string().default('t3.small').describe('PostgreSQL primary and replica'),
  mon: z.string().default('t3.small').describe('monitoring server'),
  k8s: z.string().default('t3.medium').describe('Kubernetes node (k3s)'),
});
export type InstanceTypes = z.output<typeof instanceTypes>;

const modules = z.strictObject({
  data: z.boolean().default(true).describe('PostgreSQL, replication and backups (CP6)'),
  containers: z.boolean().default(true).describe('application containers (CP7)'),
  kubernetes: z.boolean().default(true).describe('Kubernetes node and manifests (CP8); adds a k8s server on AWS'),
  monitoring: z.boolean().default(true).describe('Prometheus, agents and alerts (CP9, CP10)'),
});

const candidate = z.strictObject({
  id: dnsLabel(20).describe('unique identifier, used in host names (DNS label, at most 20 characters)'),
  name: z.string().min(1).optional().describe('display name in reports'),
  sshKey: sshPublicKey.describe("the candidate's OpenSSH public key"),
  overrides: z
    .strictObject({
      servers: z.array(serverSpec).min(1).optional().describe("this candidate's servers instead of the cohort's"),
      instanceTypes: instanceTypes.partial().optional().describe('AWS instance types for this candidate'),
    })
    .optional()
    .describe('per-candidate changes to the cohort defaults'),
});

export const cohortSchema = z.strictObject({
  cohort: dnsLabel(24).describe('cohort name, used in every resource name and tag (DNS label, at most 24 characters)'),
  target: z.enum(['local', 'aws']).default('local').describe('where the lab runs: this Linux machine, or AWS'),
  /** Last day the lab may run (YYYY-MM-DD); required on AWS so that costs stay bounded. */
  expires: isoDate
    .optional()
    .describe(
      'last day of the lab, YYYY-MM-DD; required on aws; once past, up refuses the cohort (the other commands, down first, still work)',
    ),
  admin: z
    .strictObject({
      cidrs: z.array(adminCidr).default([]).describe('networks from which trainers reach SSH and consoles; /0 is refused'),
      sshKeys: z.array(sshPublicKey).default([]).describe("trainers' OpenSSH public keys, installed on every server"),
      email: z
        .email()
        .optional()
        .describe(
          "trainers' e-mail address: the AWS budget alerts of the cohort go to it (required by up on aws, except in Learner Lab mode)",
        ),
    })
    .default({ cidrs: [], sshKeys: [] })
    .describe("the trainers' access"),
  candidates: z.array(candidate).min(1).describe('one isolated environment each'),
  servers: z
    .array(serverSpec)
    .min(1)
    .default(REFERENCE_SERVERS)
    .describe("the servers of each candidate's lab (default: gateway, app, db1, db2, mon)"),
  slo: sloSchema,
  data: dataSchema,
  modules: modules
    .default({ data: true, containers: true, kubernetes: true, monitoring: true })
    .describe('which lab modules are on'),
  app: appSchema,
  access: z
    .strictObject({
      port: z
        .number()
        .int()
        .min(1)
        .max(65535)
        .default(2222)
        .describe("TCP port of the cohort's jump host (a dedicated sshd on the lab host; never the host's own sshd)"),
      listen: z
        .array(
          z.string().check((ctx) => {
            if (!ipaddr.isValid(ctx.value)) {
              ctx.issues.push({
                code: 'custom',
                input: ctx.value,
                message: t('model.address', { got: JSON.stringify(ctx.value) }),
              });
            }
          }),
        )
        .default([])
        .describe('addresses the jump host listens on (default: every address of the host)'),
      host: z
        .string()
        .min(1)
        .optional()
        .describe(
          "address or name the candidates' ssh config gives for the jump host (default: the host's first global address)",
        ),
    })
    .default({ port: 2222, listen: [] })
    .describe('how candidates reach their lab from their own machine: a jump host per cohort (asd-lab access)'),
  local: z
    .strictObject({
      driver: z.enum(['container', 'vm']).default('container').describe('container (systemd-nspawn) or vm (qemu)'),
      /** Pool from which each candidate gets its own subnet. */
      subnetPool: cidr.default('10.98.0.0/16').describe('pool from which each candidate gets its own subnet'),
      subnetPrefix: z.number().int().min(16).max(28).default(24).describe("prefix length of each candidate's subnet"),
    })
    .default({ driver: 'container', subnetPool: '10.98.0.0/16', subnetPrefix: 24 })
    .describe('options of the local target'),
  aws: z
    .strictObject({
      region: z
        .string()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
        .default(DEFAULT_REGION)
        .describe('AWS region (default Paris; us-east-1 or us-west-2 in Learner Lab mode)'),
      vpcCidr: cidr.default('10.100.0.0/16').describe('the cohort VPC'),
      bastion: z
        .enum(['per-cohort', 'per-candidate'])
        .default('per-cohort')
        .describe('one bastion for the cohort, or one per candidate'),
      instanceTypes: instanceTypes
        .default({
          gateway: 't3.nano',
          app: 't3.small',
          db: 't3.small',
          mon: 't3.small',
          k8s: 't3.medium',
        })
        .describe('EC2 instance type per role'),
      backupRetentionDays: z
        .number()
        .int()
        .min(1)
        .max(3650)
        .default(30)
        .describe('days before old backups expire from the bucket'),
      dataVolumeGiB: z.number().int().min(1).max(1024).default(10).describe("size of each database server's data volume"),
      monthlyBudgetUsd: z
        .number()
        .positive()
        .max(100000)
        .optional()
        .describe(
          'monthly AWS budget of the cohort in USD, alerts at 80 % (actual) and 100 % (forecast) to admin.email (default: 120 per candidate)',
        ),
      learnerLab: z
        .boolean()
        .default(false)
        .describe(
          'AWS Academy Learner Lab account: no IAM resource is created (the existing LabInstanceProfile and LabRole are used), no budget, region us-east-1 or us-west-2 (docs/aws.md)',
        ),
    })
    .default({
      region: 'eu-west-3',
      vpcCidr: '10.100.0.0/16',
      bastion: 'per-cohort',
      instanceTypes: { gateway: 't3.nano', app: 't3.small', db: 't3.small', mon: 't3.small', k8s: 't3.medium' },
      backupRetentionDays: 30,
      dataVolumeGiB: 10,
      learnerLab: false,
    })
    .describe('options of the AWS target'),
});

/**
 * Checks across fields. They run on the raw document, even when the schema already failed,
 * so that the user sees every problem in one pass (zod skips refinements after an issue).
 */
export function crossFieldProblems(raw: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const list = (v: unknown): Record<string, unknown>[] =>
    Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>) : {})) : [];
  const uniqueNames = (
    items: Record<string, unknown>[],
    key: string,
    path: (string | number)[],
    msg: (name: string, first: number) => string,
  ) => {
    const seen = new Map<unknown, number>();
    items.forEach((item, i) => {
      const v = item[key];
      if (typeof v !== 'string') return;
      const first = seen.get(v);
      if (first !== undefined) out.push({ path: [...path, i, key], message: msg(v, first) });
      else seen.set(v, i);
    });
  };
  const candidates = list(raw.candidates);
  uniqueNames(candidates, 'id', ['candidates'], (id, first) => t('model.duplicateId', { id, first }));
  const serverMsg = (name: string) => t('model.duplicateServer', { name });
  uniqueNames(list(raw.servers), 'name', ['servers'], serverMsg);
  candidates.forEach((c, i) => {
    const o = c.overrides;
    if (o && typeof o === 'object')
      uniqueNames(list((o as Record<string, unknown>).servers), 'name', ['candidates', i, 'overrides', 'servers'], serverMsg);
  });
  if (raw.target === 'aws' && raw.expires === undefined) out.push({ path: ['expires'], message: t('model.expiresRequired') });
  const aws = raw.aws && typeof raw.aws === 'object' ? (raw.aws as Record<string, unknown>) : {};
  if (aws.learnerLab === true && !LEARNER_LAB_REGIONS.includes(aws.region as never)) {
    const got = typeof aws.region === 'string' ? aws.region : `${DEFAULT_REGION} (default)`;
    out.push({
      path: typeof aws.region === 'string' ? ['aws', 'region'] : ['aws', 'learnerLab'],
      message: t('model.learnerLabRegion', { allowed: LEARNER_LAB_REGIONS.join(', '), got }),
    });
  }
  return out;
}

export type Cohort = z.output<typeof cohortSchema>;
export type Candidate = Cohort['candidates'][number];

/** The servers of one candidate: their own override, else the cohort's list. */
export function serversOf(cohort: Cohort, cand: Candidate): ServerSpec[] {
  return cand.overrides?.servers ?? cohort.servers;
}

/** Instance types of one candidate on AWS: the cohort's, with the candidate's overrides on top. */
export function instanceTypesOf(cohort: Cohort, cand: Candidate): InstanceTypes {
  return { ...cohort.aws.instanceTypes, ...cand.overrides?.instanceTypes };
}
