// The project contract: `asd-project.yaml` at the root of a candidate's own project (issue 13).
// It says what the project claims (competencies), how it is deployed (their playbooks, their group
// names mapped to the lab's servers, their user), what it runs (containers, images mapped to the
// images the lab provides, ports), what it installs, how it is watched (scrape jobs, alert rules,
// drills) and where its evidence is. Read with the cohort's machinery (./load.ts): every problem at
// once, with its file:line:col and field path. What the lab cannot meet (a collection Debian does not
// ship, a download from the Internet...) is checked afterwards, against the files and the lab,
// by src/modules/project/validate.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { COMPETENCIES } from '../competencies.ts';
import { isNotFound } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { ModelFileError, parseModelFile, type ModelFileSpec, type ParsedModelFile, type Problem } from './load.ts';

/** The manifest's name at the root of a project. */
export const PROJECT_FILE = 'asd-project.yaml';

/**
 * The base images the lab provides to the candidates' servers, defined once: a project maps each of
 * its own image names (python:3.12-slim, postgres:15...) to one of these. Each is built from
 * Debian 12's own packages, so versions are Debian's, not the upstream image's.
 */
export const LAB_IMAGES = {
  debian: 'Debian 12 (bookworm), minimal',
  node: "Debian 12 with Debian's nodejs (18) and npm",
  python: "Debian 12 with Debian's python3 (3.11)",
  postgres: "Debian 12 with Debian's PostgreSQL 15 server",
  nginx: "Debian 12 with Debian's nginx (1.22)",
} as const;
export type LabImage = keyof typeof LAB_IMAGES;
export const LAB_IMAGE_NAMES = Object.keys(LAB_IMAGES) as [LabImage, ...LabImage[]];

/** The competencies a project must claim at least: the exam's own project (issue 13). */
export const REQUIRED_COMPETENCIES = ['CP2', 'CP7', 'CP10'] as const;

/** Accounts a project's user may not be: the system's and the lab's own administration account. */
export const RESERVED_USERS = ['root', 'asd-admin', 'daemon', 'nobody', 'www-data', 'postgres', 'prometheus'] as const;

const COMPETENCY_IDS = COMPETENCIES.map((c) => c.id) as [string, ...string[]];
const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

const custom = (ctx: { value: unknown; issues: unknown[] }, message: string) =>
  (ctx.issues as { code: 'custom'; input: unknown; message: string }[]).push({ code: 'custom', input: ctx.value, message });

/** A server of the candidate's lab, by name (DNS label, as in the cohort). */
const serverName = z.string().check((ctx) => {
  if (!DNS_LABEL.test(ctx.value) || ctx.value.length > 12)
    custom(ctx, t('model.dnsLabel', { max: 12, got: JSON.stringify(ctx.value) }));
});

/** A path inside the project, relative to its root: never absolute, never above the root. */
export const projectPath = z.string().check((ctx) => {
  const v = ctx.value;
  if (v === '' || v.startsWith('/') || v.split('/').includes('..') || v.includes('\\'))
    custom(ctx, t('project.relativePath', { got: JSON.stringify(v) }));
});

/** A duration such as 90s, 3m or 1h. */
const duration = z.string().check((ctx) => {
  if (!/^[1-9]\d*(s|m|h)$/.test(ctx.value)) custom(ctx, t('project.duration', { got: JSON.stringify(ctx.value) }));
});

const unixUser = z.string().check((ctx) => {
  const v = ctx.value;
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(v)) custom(ctx, t('project.userName', { got: JSON.stringify(v) }));
  else if ((RESERVED_USERS as readonly string[]).includes(v)) custom(ctx, t('project.userReserved', { got: v }));
});

const ansibleSchema = z
  .strictObject({
    playbooks: z.array(projectPath).min(1).describe("the project's playbooks, run in this order from the project's directory"),
    groups: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.array(serverName).min(1).describe('lab servers in that group'))
      .default({})
      .describe("the project's Ansible group names, each mapped to servers of the candidate's lab"),
    user: unixUser.describe(
      "the account the project's playbooks use on the servers (created with the candidate's key and sudo); not root nor the lab's asd-admin",
    ),
    collections: z
      .array(z.string().regex(/^[a-z0-9_]+\.[a-z0-9_]+$/))
      .default([])
      .describe("Ansible collections the playbooks use (namespace.name): each must be in Debian 12's ansible package"),
  })
  .describe("how the project is deployed: its own playbooks, run through the candidate's inventory (CP2)");

const containersSchema = z
  .strictObject({
    engine: z
      .enum(['docker', 'podman'])
      .default('docker')
      .describe('container engine on the servers below: docker (docker.io, docker-compose) or podman (podman-compose)'),
    servers: z.array(serverName).min(1).describe('lab servers that run the containers'),
    images: z
      .record(z.string().min(1), z.enum(LAB_IMAGE_NAMES))
      .default({})
      .describe(
        `every image the Dockerfiles and compose files name (python:3.12-slim...) mapped to one the lab provides: ${LAB_IMAGE_NAMES.join(', ')}`,
      ),
    ports: z
      .array(z.number().int().min(1).max(65535))
      .default([])
      .describe("TCP ports opened on those servers, to the candidate's own network only"),
  })
  .describe("the project's containers (CP7)");

const scrapeSchema = z.strictObject({
  job: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_-]*$/)
    .describe('Prometheus job name'),
  server: serverName.describe('lab server the target runs on'),
  port: z.number().int().min(1).max(65535).describe('TCP port of the metrics endpoint (one of containers.ports)'),
  path: z
    .string()
    .regex(/^\/\S*$/)
    .default('/metrics')
    .describe('HTTP path of the metrics'),
  scheme: z.enum(['http', 'https']).default('http').describe('http or https'),
});

const drillSchema = z.strictObject({
  name: z.string().regex(DNS_LABEL).describe('drill name (lowercase letters, digits and "-")'),
  alert: z.string().min(1).describe('the alert of monitoring.rules that the fault must fire'),
  server: serverName.describe('lab server where the fault is made'),
  break: z.string().min(1).describe('shell command run on that server to make the fault'),
  repair: z.string().min(1).describe('shell command that undoes it (always run)'),
  within: duration.default('3m').describe('the alert must fire, then resolve, within this delay each (e.g. 90s, 3m)'),
});

const monitoringSchema = z
  .strictObject({
    scrape: z.array(scrapeSchema).default([]).describe("metrics endpoints of the project scraped by the lab's Prometheus (mon)"),
    rules: z
      .array(projectPath)
      .default([])
      .describe("Prometheus alert rule files, checked with promtool, loaded beside the lab's rules"),
    drills: z
      .array(drillSchema)
      .default([])
      .describe('faults made on purpose to show that an alert of the rules fires and resolves (CP10)'),
  })
  .describe("the project's monitoring (CP10)");

export const projectSchema = z.strictObject({
  schema: z.literal(1).describe('version of this contract: 1'),
  name: z
    .string()
    .check((ctx) => {
      if (!DNS_LABEL.test(ctx.value) || ctx.value.length > 32)
        custom(ctx, t('model.dnsLabel', { max: 32, got: JSON.stringify(ctx.value) }));
    })
    .describe('project name (DNS label, at most 32 characters)'),
  competencies: z
    .array(z.enum(COMPETENCY_IDS))
    .min(1)
    .describe(`the competencies the project claims (at least ${REQUIRED_COMPETENCIES.join(', ')}); verify grades each`),
  ansible: ansibleSchema.optional(),
  containers: containersSchema.optional(),
  packages: z
    .strictObject({
      apt: z
        .array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/))
        .default([])
        .describe("Debian packages the playbooks install (served through the lab's package proxy)"),
    })
    .default({ apt: [] })
    .describe('what the project installs at run time'),
  monitoring: monitoringSchema.optional(),
  kubernetes: z
    .strictObject({
      manifests: z.array(projectPath).min(1).describe('Kubernetes manifests or kustomize directories'),
    })
    .optional()
    .describe("the project's Kubernetes objects (CP8): needs a cluster on the cohort's target"),
  evidence: z
    .array(projectPath)
    .default([])
    .describe('globs of the evidence files for the project file (docs/**/*.md ...), relative to the project'),
});

export type Project = z.output<typeof projectSchema>;

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Checks across fields, on the raw document (run even when the schema failed): the competencies
 * the exam requires, each claim backed by its section, and names unique where they must be.
 */
export function projectCrossFieldProblems(raw: Raw): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const claimed = arr(raw.competencies).filter((c): c is string => typeof c === 'string');
  if (Array.isArray(raw.competencies)) {
    const missing = REQUIRED_COMPETENCIES.filter((c) => !claimed.includes(c));
    if (missing.length)
      out.push({ path: ['competencies'], message: t('project.requiredCompetencies', { missing: missing.join(', ') }) });
  }
  const backing: [string, string, string][] = [
    ['CP2', 'ansible', 'ansible.playbooks'],
    ['CP7', 'containers', 'containers'],
    ['CP8', 'kubernetes', 'kubernetes'],
    ['CP10', 'monitoring', 'monitoring.rules, monitoring.drills'],
  ];
  for (const [cp, section, fields] of backing) {
    const i = claimed.indexOf(cp);
    if (i >= 0 && raw[section] === undefined)
      out.push({ path: ['competencies', i], message: t('project.claimWithout', { competency: cp, fields }) });
  }
  const mon = obj(raw.monitoring);
  if (claimed.includes('CP10') && raw.monitoring !== undefined) {
    if (arr(mon.rules).length === 0) out.push({ path: ['monitoring'], message: t('project.cp10Needs', { field: 'rules' }) });
    if (arr(mon.drills).length === 0) out.push({ path: ['monitoring'], message: t('project.cp10Needs', { field: 'drills' }) });
  }
  const duplicates = (items: unknown[], key: string | undefined, path: (string | number)[]) => {
    const seen = new Set<unknown>();
    items.forEach((item, i) => {
      const v = key === undefined ? item : obj(item)[key];
      if (typeof v !== 'string' && typeof v !== 'number') return;
      if (seen.has(v))
        out.push({
          path: key === undefined ? [...path, i] : [...path, i, key],
          message: t('project.duplicate', { value: String(v) }),
        });
      seen.add(v);
    });
  };
  duplicates(arr(raw.competencies), undefined, ['competencies']);
  duplicates(arr(obj(raw.ansible).playbooks), undefined, ['ansible', 'playbooks']);
  duplicates(arr(obj(raw.containers).ports), undefined, ['containers', 'ports']);
  duplicates(arr(mon.scrape), 'job', ['monitoring', 'scrape']);
  duplicates(arr(mon.drills), 'name', ['monitoring', 'drills']);
  return out;
}

/** asd-project.yaml that cannot be used: every problem at once, exit 2. */
export class ProjectFileError extends ModelFileError {
  constructor(file: string, problems: Problem[]) {
    super(file, problems, t('project.invalidHeader', { count: problems.length }));
  }
}

const PROJECT_FILE_SPEC: ModelFileSpec<typeof projectSchema> = {
  schema: projectSchema,
  crossField: projectCrossFieldProblems,
  error: (file, problems) => new ProjectFileError(file, problems),
  notMapping: () => t('project.notMapping'),
  unknownKey: (key) => t('project.unknownKey', { key }),
};

/** Parse and validate the text of an asd-project.yaml; throws ProjectFileError listing every problem. */
export function parseProject(text: string, file: string): ParsedModelFile<Project> {
  return parseModelFile(text, file, PROJECT_FILE_SPEC);
}

/** Read DIR/asd-project.yaml; a missing one (or a DIR that is not there) says so plainly. */
export function loadProject(dir: string): ParsedModelFile<Project> & { file: string } {
  const file = join(dir, PROJECT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const message = !existsSync(dir)
      ? t('project.noDir', { dir })
      : isNotFound(err)
        ? t('project.missing', { dir, name: PROJECT_FILE })
        : t('project.unreadable', { code: (err as NodeJS.ErrnoException).code ?? String(err) });
    throw new ProjectFileError(file, [{ path: '', message }]);
  }
  return { ...parseProject(text, file), file };
}
