// `asd-lab access`: gathers what a candidate (or the trainer) needs to reach the lab from their own
// machine (the jump host, their servers, the pinned host keys) and writes the files of
// src/evidence/access-card.ts, with the card printed to PDF by headless Chromium.
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
import { LocalError } from '../targets/local/errors.ts';
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

/** The facts of one candidate's (or the trainers') bundle. */
async function bundles(cohort: Cohort, opts: AccessOptions): Promise<{ list: AccessBundle[]; refused: AccessResult['refused'] }> {
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
    cohort.modules.monitoring
      ? p.servers
          .filter((s) => s.spec.role === 'mon')
          .map((s) => ({
            alias: alias(s.spec.name),
            address: s.ip,
            prometheus: flowPort('prometheus'),
            alertmanager: flowPort('alertmanager'),
          }))
      : [];
  const jump = (user: string) => ({ host, port: cohort.access.port, user, hostKey, fingerprint: fingerprint(hostKey) });
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
  if (cohort.target !== 'local') throw new LocalError(t('access.notLocal'));
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
