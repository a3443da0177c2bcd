// The `data` section of the cohort model (CP6): which databases exist (application x environment),
// who may connect to them from where, and how long backups are kept. Engine-neutral: no SQL, no
// Ansible here; src/modules/data/generate.ts compiles this into roles, grants, pg_hba lines and firewall rules.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { t } from '../i18n/index.ts';
import { ENVIRONMENTS } from '../environments.ts';

/** A PostgreSQL identifier we generate role and database names from: <app>_<env>_<kind> stays short and unquoted. */
const APP_NAME = /^[a-z][a-z0-9_]{0,19}$/;
const SERVER_NAME = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

const appName = z.string().check((ctx) => {
  if (!APP_NAME.test(ctx.value))
    ctx.issues.push({ code: 'custom', input: ctx.value, message: t('data.appName', { got: JSON.stringify(ctx.value) }) });
});

/**
 * Where a client connects from: the name of a server of the candidate's lab (its address is
 * resolved per candidate) or a CIDR. The whole Internet (/0) is refused: a database is never public.
 */
export const dataSource = z.string().check((ctx) => {
  const v = ctx.value;
  if (ipaddr.isValidCIDR(v)) {
    if (ipaddr.parseCIDR(v)[1] === 0) ctx.issues.push({ code: 'custom', input: v, message: t('data.sourceWorld', { got: v }) });
    return;
  }
  if (!SERVER_NAME.test(v) || v.length > 12)
    ctx.issues.push({ code: 'custom', input: v, message: t('data.source', { got: JSON.stringify(v) }) });
});

const sourcesByEnv = z
  .strictObject({
    test: z.array(dataSource).optional(),
    preprod: z.array(dataSource).optional(),
    prod: z.array(dataSource).optional(),
  })
  .describe('per environment, replaces the list above for that environment');

export const dataApplication = z.strictObject({
  name: appName.describe(
    'application name: lowercase letters, digits and "_", at most 20 characters; databases are <name>_<env>',
  ),
  environments: z
    .array(z.enum(ENVIRONMENTS))
    .min(1)
    .default([...ENVIRONMENTS])
    .describe('environments that get a database (test, preprod, prod)'),
  clients: z
    .array(dataSource)
    .min(1)
    .default(['app', 'containers'])
    .describe(
      'where the read-write application role connects from: server names of the candidate\'s lab, CIDRs, or "containers" (the app\'s containers of that environment, local target)',
    ),
  clientsByEnv: sourcesByEnv.optional(),
  reporting: z.array(dataSource).default(['mon']).describe('where the read-only reporting role connects from'),
  reportingByEnv: sourcesByEnv.optional(),
});
export type DataApplication = z.output<typeof dataApplication>;

const DEFAULT_APP: DataApplication = {
  name: 'shop',
  environments: [...ENVIRONMENTS],
  clients: ['app', 'containers'],
  reporting: ['mon'],
};

/** A systemd calendar expression, checked for its shape only (systemd-analyze calendar is the judge). */
const calendar = z
  .string()
  .regex(/^[A-Za-z0-9*.,:\-/ ]{3,64}$/)
  .describe('systemd OnCalendar= expression');

export const dataBackup = z.strictObject({
  fullSchedule: calendar.default('Sun *-*-* 01:00:00').describe('full backup schedule (systemd OnCalendar=), default weekly'),
  diffSchedule: calendar
    .default('Mon..Sat *-*-* 01:00:00')
    .describe('differential backup schedule (systemd OnCalendar=), default daily'),
  fullRetention: z
    .number()
    .int()
    .min(1)
    .max(52)
    .default(2)
    .describe('full backups kept (pgBackRest repo1-retention-full, count)'),
  diffRetention: z.number().int().min(1).max(60).default(7).describe('differential backups kept (repo1-retention-diff)'),
  maxAgeHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(26)
    .describe('CP6.3: the newest backup must be younger than this'),
});
export type DataBackup = z.output<typeof dataBackup>;

const DEFAULT_BACKUP: DataBackup = {
  fullSchedule: 'Sun *-*-* 01:00:00',
  diffSchedule: 'Mon..Sat *-*-* 01:00:00',
  fullRetention: 2,
  diffRetention: 7,
  maxAgeHours: 26,
};

export const dataSchema = z
  .strictObject({
    applications: z
      .array(dataApplication)
      .min(1)
      .check((ctx) => {
        const seen = new Set<string>();
        for (const a of ctx.value) {
          if (seen.has(a.name))
            ctx.issues.push({ code: 'custom', input: a.name, message: t('data.duplicateApp', { name: a.name }) });
          seen.add(a.name);
        }
      })
      .default([DEFAULT_APP])
      .describe(
        'one database per application and environment, with an owner, a read-write and a read-only role (default: one application, shop)',
      ),
    backup: dataBackup.default(DEFAULT_BACKUP).describe('pgBackRest schedule and retention'),
    maxReplicationLagSeconds: z
      .number()
      .min(0.1)
      .max(3600)
      .default(5)
      .describe('CP6.1: the replica must be behind the primary by less than this'),
  })
  .default({ applications: [DEFAULT_APP], backup: DEFAULT_BACKUP, maxReplicationLagSeconds: 5 })
  .describe('PostgreSQL databases, access rights and backups (CP6)');
export type DataModel = z.output<typeof dataSchema>;
