// `asd-lab access`: gathers what a candidate (or the trainer) needs to reach the lab from their own
// machine (the jump host, their servers, the pinned host keys) and writes the files of
// src/evidence/access-card.ts, with the card printed to PDF by headless Chromium. The local target
// and the AWS target gather their facts differently (localBundles, awsBundles); the files are the same.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { flowPort } from '../core/flows.ts';
import { t, type Lang } from '../core/i18n/index.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { cohortPaths } from '../core/state.ts';
import {
  renderCardHtml,
  renderKnownHosts,
  renderLaptopInventory,
  renderSshConfig,
  type AccessBundle,
  type AccessServer,
} from '../evidence/access-card.ts';
import { AsdError } from '../core/errors.ts';
import { hostName } from '../core/hosts.ts';
import type { AwsJump, AwsLab } from '../targets/aws/inventory.ts';
import { LocalError } from '../targets/local/errors.ts';
import { recordedHostKeys } from '../tools/known-hosts.ts';
import { awsLab, awsPaths } from './aws.ts';
import {
  fingerprint,
  firstGlobalAddress,
  jumpHostKey,
  jumpUser,
  planJump,
  sshAlgorithms,
  trainerUser,
} from '../targets/local/jump.ts';
import { planCohort, type CandidatePlan } from '../targets/local/plan.ts';
import { listServers } from '../targets/local/servers.ts';
import { selectCandidates } from './candidates.ts';

export interface AccessOptions {
  candidate?: string;
  all?: boolean;
  trainer?: boolean;
  /** Output folder: the candidate's own (default ./access-<id>); with --all, one sub-folder each. */
  outDir?: string;
  stateDir?: string;
  lang: Lang;
  /** Print card.pdf with Chromium (default true). */
  pdf?: boolean;
}

export interface AccessFiles {
  dir: string;
  sshConfig: string;
  knownHosts: string;
  inventory: string;
  cardHtml: string;
  cardPdf?: string;
}

export interface AccessOutput {
  candidate: string | null;
  jump: { host: string; port: number; user: string };
  servers: { name: string; address: string; user: string }[];
  files: AccessFiles;
}

export interface AccessResult {
  written: AccessOutput[];
  /** Candidates without an account on the jump, and why (no file is written for them). */
  refused: { candidate: string; reason: string }[];
}

type Bundles = { list: AccessBundle[]; refused: AccessResult['refused'] };

/** The monitoring consoles of a candidate's mon servers, reached through the jump. */
const consolesOf = (cohort: Cohort, mons: { alias: string; address: string }[]): AccessBundle['consoles'] =>
  cohort.modules.monitoring
    ? mons.map((m) => ({ ...m, prometheus: flowPort('prometheus'), alertmanager: flowPort('alertmanager') }))
    : [];

/** The local target's facts: the jump host of this machine, the servers' keys recorded at creation. */
async function localBundles(cohort: Cohort, opts: AccessOptions): Promise<Bundles> {
  const paths = cohortPaths(cohort.cohort, opts.stateDir);
  const hostKey = jumpHostKey(paths.jump);
  if (!hostKey || !existsSync(paths.jump.accounts)) throw new LocalError(t('access.noJump', { cohort: cohort.cohort }));
  const host = cohort.access.host ?? (await firstGlobalAddress());
  if (!host) throw new LocalError(t('access.noHost'));
  const made = new Set((JSON.parse(readFileSync(paths.jump.accounts, 'utf8')) as { user: string }[]).map((a) => a.user));
  const plan = planJump(cohort, sshAlgorithms());
  const local = await listServers(paths.state);
  const hostKeys = (machine: string): string[] => {
    const s = local.find((x) => x.name === machine && x.cohort === cohort.cohort);
    if (!s || !existsSync(s.knownHostsFile)) throw new LocalError(t('access.noServerKey', { server: machine }));
    return readFileSync(s.knownHostsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/).slice(1, 3).join(' '));
  };
  const consoles = (p: CandidatePlan, alias: (server: string) => string) =>
    consolesOf(
      cohort,
      p.servers.filter((s) => s.spec.role === 'mon').map((s) => ({ alias: alias(s.spec.name), address: s.ip })),
    );
  const jump = (user: string) => ({
    host,
    port: cohort.access.port,
    user,
    hostKeys: [hostKey],
    fingerprint: fingerprint(hostKey),
  });
  const plans = planCohort(cohort);
  const list: AccessBundle[] = [];
  const refused: AccessResult['refused'] = [];
  if (opts.trainer) {
    const user = trainerUser(cohort.cohort);
    if (!made.has(user)) {
      const reason = cohort.admin.sshKeys.length ? t('access.noAccountYet') : t('access.noTrainerKey');
      throw new LocalError(t('access.noAccount', { candidate: 'trainers', reason }));
    }
    const servers: AccessServer[] = plans.flatMap((p) =>
      p.servers.map((s) => ({
        alias: s.name,
        inventoryName: s.name,
        role: s.spec.role,
        address: s.ip,
        user: 'asd-admin',
        hostKeys: hostKeys(s.name),
      })),
    );
    list.push({
      cohort: cohort.cohort,
      candidate: null,
      displayName: t('card.trainers', {}, opts.lang),
      jump: jump(user),
      servers,
      expires: cohort.expires,
      consoles: plans.flatMap((p) => consoles(p, (server) => `${p.candidate.id}-${server}`)),
    });
    return { list, refused };
  }
  const wanted = opts.all ? cohort.candidates : selectCandidates(cohort, opts.candidate);
  for (const cand of wanted) {
    const p = plans.find((x) => x.candidate.id === cand.id)!;
    const user = jumpUser(cohort.cohort, cand.id);
    const why = plan.refused.find((r) => r.candidate === cand.id)?.reason ?? (made.has(user) ? null : t('access.noAccountYet'));
    if (why) {
      refused.push({ candidate: cand.id, reason: why });
      continue;
    }
    list.push({
      cohort: cohort.cohort,
      candidate: cand.id,
      displayName: cand.name ?? cand.id,
      jump: jump(user),
      servers: p.servers.map((s) => ({
        alias: s.spec.name,
        inventoryName: s.name,
        role: s.spec.role,
        address: s.ip,
        // The common role makes the candidate's own account, named by their id.
        user: cand.id,
        hostKeys: hostKeys(s.name),
      })),
      expires: cohort.expires,
      consoles: consoles(p, (server) => server),
    });
  }
  return { list, refused };
}

/**
 * The AWS target's bundles, from the lab the Terraform outputs describe (src/targets/aws/inventory.ts)
 * and the host keys asd-lab's own connections recorded (aws/ssh/known_hosts: trust on first use by
 * the controller, through the bastion). Candidates go through the cohort's bastion with their
 * jump-only account (named by their id, made by cloud-init and the common role), or through their own
 * gateway (bastion: per-candidate), which they reach directly. A host whose key is not recorded yet
 * is marked TOFU in the files. Pure: tested on the outputs of the mocked apply.
 */
export function awsBundles(
  cohort: Cohort,
  lab: AwsLab,
  knownHosts: string,
  opts: Pick<AccessOptions, 'candidate' | 'all' | 'trainer' | 'lang'>,
): Bundles {
  const keys = (address: string) => recordedHostKeys(knownHosts, address, 22);
  const jumpOf = (j: AwsJump, user: string): AccessBundle['jump'] => {
    const hostKeys = keys(j.host);
    return { host: j.host, port: 22, user, hostKeys, fingerprint: hostKeys[0] ? fingerprint(hostKeys[0]) : null };
  };
  const serversOf = (id: string, alias: (server: string) => string, user: string): AccessServer[] => {
    const jump = lab.jumps.get(id);
    return lab.hosts
      .filter((h) => h.candidate === id)
      .map((h) => {
        const direct = !!jump && hostName(id, h.server) === jump.inventoryName;
        const address = direct ? jump.host : h.address;
        return {
          alias: alias(h.server),
          inventoryName: hostName(id, h.server),
          role: h.role,
          address,
          user,
          hostKeys: keys(address),
          ...(direct ? { via: 'direct' as const } : {}),
        };
      });
  };
  const mons = (id: string, alias: (server: string) => string) =>
    consolesOf(
      cohort,
      lab.hosts
        .filter((h) => h.candidate === id && h.role === 'mon')
        .map((h) => ({ alias: alias(h.server), address: h.address })),
    );
  if (opts.trainer) {
    const shared = lab.jumps.get('');
    if (!shared) throw new AsdError(t('access.awsTrainerPerCandidate'), { kind: 'usage' });
    const ids = cohort.candidates.map((c) => c.id).filter((id) => lab.jumps.has(id));
    return {
      list: [
        {
          cohort: cohort.cohort,
          candidate: null,
          displayName: t('card.trainers', {}, opts.lang),
          // The trainers' keys are asd-admin's on the bastion and on every server (cloud-init).
          jump: jumpOf(shared, 'asd-admin'),
          servers: ids.flatMap((id) => serversOf(id, (server) => hostName(id, server), 'asd-admin')),
          expires: cohort.expires,
          consoles: ids.flatMap((id) => mons(id, (server) => hostName(id, server))),
        },
      ],
      refused: [],
    };
  }
  const list: AccessBundle[] = [];
  const refused: AccessResult['refused'] = [];
  for (const cand of opts.all ? cohort.candidates : selectCandidates(cohort, opts.candidate)) {
    const jump = lab.jumps.get(cand.id);
    if (!jump || lab.missing.includes(cand.id)) {
      refused.push({ candidate: cand.id, reason: t('access.awsNoStack') });
      continue;
    }
    list.push({
      cohort: cohort.cohort,
      candidate: cand.id,
      displayName: cand.name ?? cand.id,
      // The bastion's jump-only account, or the candidate's own account on their gateway: their id.
      jump: jumpOf(jump, cand.id),
      servers: serversOf(cand.id, (server) => server, cand.id),
      expires: cohort.expires,
      consoles: mons(cand.id, (server) => server),
    });
  }
  return { list, refused };
}

/** The facts of one candidate's (or the trainers') bundle, whatever the target. */
async function bundles(cohort: Cohort, opts: AccessOptions): Promise<Bundles> {
  if (cohort.target === 'local') return localBundles(cohort, opts);
  const lab = await awsLab(cohort, { stateDir: opts.stateDir });
  if (!lab) throw new AsdError(t('access.awsNotUp', { cohort: cohort.cohort }));
  const known = awsPaths(cohortPaths(cohort.cohort, opts.stateDir)).knownHosts;
  return awsBundles(cohort, lab, existsSync(known) ? readFileSync(known, 'utf8') : '', opts);
}

/** Prints an HTML file to PDF with headless Chromium (a host package). */
export async function printPdf(html: string, pdf: string): Promise<void> {
  const which = await execa('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { reject: false });
  if (which.exitCode !== 0) throw new LocalError(t('access.pdfFailed', { detail: 'chromium not found' }));
  const profile = mkdtempSync(path.join(tmpdir(), 'asd-lab-chromium-'));
  try {
    const r = await execa(
      which.stdout.trim(),
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--no-pdf-header-footer',
        `--user-data-dir=${profile}`,
        `--print-to-pdf=${pdf}`,
        pathToFileURL(html).href,
      ],
      { reject: false, timeout: 90_000 },
    );
    if (r.exitCode !== 0 || !existsSync(pdf)) throw new LocalError(t('access.pdfFailed', { detail: r.stderr.slice(-400) }));
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Writes the access files of the candidate(s) or of the trainers; returns what was written and refused. */
export async function writeAccess(cohort: Cohort, opts: AccessOptions): Promise<AccessResult> {
  const { list, refused } = await bundles(cohort, opts);
  const written: AccessOutput[] = [];
  for (const b of list) {
    const base = opts.outDir ?? `access-${b.candidate ?? 'trainers'}`;
    const dir = path.resolve(opts.all ? path.join(base, b.candidate!) : base);
    mkdirSync(dir, { recursive: true });
    const files: AccessFiles = {
      dir,
      sshConfig: path.join(dir, 'ssh_config'),
      knownHosts: path.join(dir, 'known_hosts'),
      inventory: path.join(dir, 'inventory.yml'),
      cardHtml: path.join(dir, 'card.html'),
    };
    writeFileSync(files.sshConfig, renderSshConfig(b), { mode: 0o644 });
    writeFileSync(files.knownHosts, renderKnownHosts(b), { mode: 0o644 });
    writeFileSync(files.inventory, renderLaptopInventory(b), { mode: 0o644 });
    writeFileSync(files.cardHtml, renderCardHtml(b, opts.lang), { mode: 0o644 });
    if (opts.pdf ?? true) {
      files.cardPdf = path.join(dir, 'card.pdf');
      await printPdf(files.cardHtml, files.cardPdf);
    }
    written.push({
      candidate: b.candidate,
      jump: { host: b.jump.host, port: b.jump.port, user: b.jump.user },
      servers: b.servers.map((s) => ({ name: s.alias, address: s.address, user: s.user })),
      files,
    });
  }
  return { written, refused };
}
