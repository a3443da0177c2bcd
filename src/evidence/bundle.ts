// Reproducible bundles: one tar.gz with everything needed to rebuild a candidate's environment and
// to compare it with the original (cohort entry, versions, golden image id and packages, public
// keys, last verify report, diagram), a SHA-256 manifest, and never a private key or a secret.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { t } from '../core/i18n/index.ts';
import { planCandidate } from '../targets/local/plan.ts';
import { statePaths } from '../core/state.ts';
import { expiryProblem, parseCohort } from '../core/model/load.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { candidateOnly } from './verify-report/state.ts';
import { parseReport, type VerifyReportV1 } from './verify-report/schema.ts';
import type { ToolVersion } from './version.ts';
import type { LabServer } from '../core/lab-server.ts';
import { AsdError, type AsdErrorOptions } from '../core/errors.ts';

export const BUNDLE_FORMAT = 'asd-lab-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
export const MANIFEST = 'MANIFEST.sha256';

export interface BundleMeta {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  createdAt: string;
  cohort: string;
  candidate: string;
  target: string;
  asdLab: ToolVersion;
  tools: Record<string, string>;
  image: { id: string; packages: number };
  servers: { name: string; role: string; state: string; address: string }[];
  lastVerify?: { generatedAt: string; pass: number; fail: number; notRun: number };
}

/** A bundle that cannot be written, or is refused when opened (kind 'user': the file given). */
export class BundleError extends AsdError {
  constructor(message: string, opts: AsdErrorOptions = {}) {
    super(message, { kind: 'user', ...opts });
  }
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * The cohort file of one candidate: the cohort with this candidate only, and its local subnet
 * pinned (pool = the candidate's own subnet) so that the reproduction gets the same addresses.
 */
export function candidateCohort(cohort: Cohort, candidateId: string): Cohort {
  const cand = cohort.candidates.find((c) => c.id === candidateId);
  if (!cand)
    throw new BundleError(
      t('lab.unknownCandidate', { candidate: candidateId, known: cohort.candidates.map((c) => c.id).join(', ') }),
      { kind: 'usage' },
    );
  const out: Cohort = { ...cohort, candidates: [cand] };
  if (cohort.target === 'local') {
    const plan = planCandidate(cohort, cand);
    out.local = { ...cohort.local, subnetPool: plan.subnet, subnetPrefix: plan.prefix };
  }
  return out;
}

/** What must never be in a bundle: private keys, password files, tokens, vaults. */
export const SECRET_NAME_PATTERNS: RegExp[] = [
  /(^|\/)id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/,
  /\.(key|pem|p12|pfx|jks|kdbx)$/i,
  /(^|\/)[^/]*(password|passwd|secret|token|credential|vault)[^/]*$/i,
  /(^|\/)\.pgpass$/,
  /(^|\/)\.?htpasswd$/,
  /(^|\/)shadow$/,
];
export const SECRET_CONTENT_PATTERNS: RegExp[] = [
  /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/,
  /\$ANSIBLE_VAULT;/,
  /aws_secret_access_key\s*[=:]/i,
  /\bAKIA[0-9A-Z]{16}\b/,
  /^\s*[\w.-]*(password|passwd|passphrase|secret|api[_-]?key|token)[\w.-]*\s*[:=]\s*["']?[^\s"']{6,}/im,
  /\bPGPASSWORD=\S+/,
  /^[^:\s]+:\$(1|2[aby]?|5|6|y)\$[^:]+:/m,
];

/** Secret findings in a set of files (path -> content): "path: what". Empty when clean. */
export function secretFindings(files: Map<string, Buffer | string>): string[] {
  const out: string[] = [];
  for (const [path, data] of files) {
    for (const re of SECRET_NAME_PATTERNS) if (re.test(path)) out.push(`${path}: ${t('bundle.secretName')}`);
    const text = Buffer.isBuffer(data) ? data.toString('latin1') : data;
    for (const re of SECRET_CONTENT_PATTERNS) {
      const m = re.exec(text);
      if (m)
        out.push(
          `${path}: ${t('bundle.secretContent', { pattern: re.source.slice(0, 40), line: String(text.slice(0, m.index).split('\n').length) })}`,
        );
    }
  }
  return out;
}

export interface BundleInput {
  cohort: Cohort;
  candidate: string;
  servers: LabServer[];
  stateDir: string;
  version: ToolVersion;
  tools: Record<string, string>;
  image: { id: string; packages?: string };
  lastVerify?: VerifyReportV1;
  diagram?: { dot: string; mermaid: string };
  now?: Date;
}

/** The files of a bundle (path -> content), the manifest last. Throws BundleError on a secret. */
export function bundleFiles(input: BundleInput): Map<string, Buffer> {
  const { cohort, candidate } = input;
  const one = candidateCohort(cohort, candidate);
  const cand = one.candidates[0]!;
  const report = input.lastVerify ? candidateOnly(input.lastVerify, candidate) : undefined;
  const files = new Map<string, Buffer>();
  const put = (p: string, s: string | Buffer) => files.set(p, Buffer.isBuffer(s) ? s : Buffer.from(s));
  const meta: BundleMeta = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    createdAt: (input.now ?? new Date()).toISOString(),
    cohort: cohort.cohort,
    candidate,
    target: cohort.target,
    asdLab: input.version,
    tools: input.tools,
    image: { id: input.image.id, packages: input.image.packages ? input.image.packages.trim().split('\n').length : 0 },
    servers: input.servers.map((s) => ({ name: s.name, role: s.role, state: s.state, address: s.address })),
    ...(report ? { lastVerify: { generatedAt: report.candidates[0]!.finishedAt, ...pick(report.candidates[0]!.summary) } } : {}),
  };
  put('bundle.json', `${JSON.stringify(meta, null, 2)}\n`);
  put(
    'cohort.yaml',
    `# Cohort entry of candidate ${candidate} (asd-lab bundle; subnet pinned to the original one)\n${stringify(one)}`,
  );
  put('keys/candidate.pub', `${cand.sshKey.trim()}\n`);
  one.admin.sshKeys.forEach((k, i) => {
    put(`keys/admin-${i + 1}.pub`, `${k.trim()}\n`);
  });
  const labPub = join(statePaths(input.stateDir).keys(cohort.cohort), 'id_ed25519.pub');
  if (existsSync(labPub)) put('keys/lab-key.pub', readFileSync(labPub));
  if (input.image.packages) put('image/packages.txt', input.image.packages);
  if (report) put('verify-report.json', `${JSON.stringify(report, null, 2)}\n`);
  if (input.diagram) {
    put('diagram.dot', input.diagram.dot);
    put('diagram.mmd', input.diagram.mermaid);
  }
  const findings = secretFindings(files);
  if (findings.length) throw new BundleError(t('bundle.secretsFound', { list: findings.join('\n') }));
  const manifest = [...files]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, d]) => `${sha256(d)}  ${p}`)
    .join('\n');
  put(MANIFEST, `${manifest}\n`);
  return files;
}

function pick(s: { pass: number; fail: number; notRun: number }) {
  return { pass: s.pass, fail: s.fail, notRun: s.notRun };
}

/** Write the bundle as a reproducible tar.gz (sorted, owner 0, fixed mtime); returns the manifest hash. */
export async function writeBundle(
  files: Map<string, Buffer>,
  out: string,
): Promise<{ file: string; manifestSha256: string; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'asd-bundle-'));
  try {
    for (const [p, d] of files) {
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), d, { mode: 0o644 });
    }
    const meta = JSON.parse(files.get('bundle.json')!.toString()) as BundleMeta;
    mkdirSync(dirname(out) || '.', { recursive: true });
    await execa('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      `--mtime=${meta.createdAt}`,
      '-czf',
      out,
      '-C',
      dir,
      ...[...files.keys()].sort(),
    ]);
    return { file: out, manifestSha256: sha256(files.get(MANIFEST)!), bytes: lstatSync(out).size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface OpenedBundle {
  meta: BundleMeta;
  cohortText: string;
  cohort: Cohort;
  files: Map<string, Buffer>;
  manifestSha256: string;
  report?: VerifyReportV1;
  warnings: string[];
}

/** Is a bundle made by `bundleVersion` readable by this asd-lab (same major; same minor in 0.x)? */
export function versionCompatible(bundleVersion: string, ours: string): boolean {
  const a = bundleVersion.split('.').map(Number);
  const b = ours.split('.').map(Number);
  if (a.length < 2 || a.some(Number.isNaN)) return false;
  return a[0] === b[0] && (a[0] !== 0 || a[1] === b[1]);
}

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p, base) : [relative(base, p)];
  });
}

/**
 * Open and check a bundle: safe member names (regular files, no absolute path, no ".."), every
 * checksum of the manifest, no file outside it, the format and asd-lab version, the cohort file,
 * and no secret. Throws BundleError with the reason (fr/en).
 */
export async function openBundle(
  file: string,
  ours: ToolVersion,
  opts: { expectSha256?: string; now?: Date } = {},
): Promise<OpenedBundle> {
  if (!existsSync(file)) throw new BundleError(t('bundle.notFound', { file }));
  const list = await execa('tar', ['-tzvf', file], { reject: false });
  if (list.exitCode !== 0) throw new BundleError(t('bundle.notTar', { file, detail: list.stderr.split('\n')[0] ?? '' }));
  for (const line of list.stdout.split('\n').filter(Boolean)) {
    const name = line.split(/\s+/).slice(5).join(' ');
    if (!/^[-d]/.test(line) || name.startsWith('/') || name.split('/').includes('..')) {
      throw new BundleError(t('bundle.unsafeMember', { member: name }));
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'asd-reproduce-'));
  try {
    await execa('tar', ['-xzf', file, '-C', dir, '--no-same-owner', '--no-same-permissions']);
    const files = new Map<string, Buffer>();
    for (const p of walk(dir)) files.set(p, readFileSync(join(dir, p)));
    const manifest = files.get(MANIFEST);
    if (!manifest) throw new BundleError(t('bundle.noManifest'));
    const manifestSha256 = sha256(manifest);
    if (opts.expectSha256 && opts.expectSha256.toLowerCase() !== manifestSha256) {
      throw new BundleError(t('bundle.manifestMismatch', { expected: opts.expectSha256, got: manifestSha256 }));
    }
    const listed = new Map<string, string>();
    for (const line of manifest.toString().split('\n').filter(Boolean)) {
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (!m) throw new BundleError(t('bundle.badManifestLine', { line }));
      listed.set(m[2]!, m[1]!);
    }
    const problems: string[] = [];
    for (const [p, hash] of listed) {
      const data = files.get(p);
      if (!data) problems.push(t('bundle.missingFile', { file: p }));
      else if (sha256(data) !== hash) problems.push(t('bundle.badChecksum', { file: p }));
    }
    for (const p of files.keys()) if (p !== MANIFEST && !listed.has(p)) problems.push(t('bundle.extraFile', { file: p }));
    if (problems.length) throw new BundleError(t('bundle.tampered', { list: problems.join('\n') }));
    let meta: BundleMeta;
    try {
      meta = JSON.parse(files.get('bundle.json')?.toString() ?? '') as BundleMeta;
    } catch (err) {
      throw new BundleError(t('bundle.badMeta'), { cause: err });
    }
    if (meta.format !== BUNDLE_FORMAT || meta.formatVersion !== BUNDLE_FORMAT_VERSION) {
      throw new BundleError(
        t('bundle.badFormat', {
          got: `${String(meta.format)} ${String(meta.formatVersion)}`,
          expected: `${BUNDLE_FORMAT} ${BUNDLE_FORMAT_VERSION}`,
        }),
      );
    }
    if (!versionCompatible(meta.asdLab?.version ?? '', ours.version)) {
      throw new BundleError(t('bundle.incompatible', { bundle: meta.asdLab?.version ?? '?', ours: ours.version }));
    }
    const warnings: string[] = [];
    if (meta.asdLab.commit !== ours.commit)
      warnings.push(t('bundle.otherCommit', { bundle: meta.asdLab.commit.slice(0, 12), ours: ours.commit.slice(0, 12) }));
    const findings = secretFindings(files);
    if (findings.length) throw new BundleError(t('bundle.secretsFound', { list: findings.join('\n') }));
    const cohortText = files.get('cohort.yaml')?.toString();
    if (!cohortText) throw new BundleError(t('bundle.missingFile', { file: 'cohort.yaml' }));
    let cohort: Cohort;
    try {
      cohort = parseCohort(cohortText, 'cohort.yaml');
    } catch (err) {
      throw new BundleError(t('bundle.badCohort', { detail: (err as Error).message }), { cause: err });
    }
    // Opened long after the course: fine for checking, but rebuilding it needs a new date.
    if (expiryProblem(cohort, opts.now)) warnings.push(t('bundle.cohortExpired', { expires: cohort.expires! }));
    const rep = files.get('verify-report.json');
    let report: VerifyReportV1 | undefined;
    if (rep) {
      try {
        report = parseReport(JSON.parse(rep.toString()));
      } catch (err) {
        throw new BundleError(t('bundle.badReport', { detail: (err as Error).message.slice(0, 300) }), { cause: err });
      }
    }
    return { meta, cohortText, cohort, files, manifestSha256, report, warnings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Package list differences between the bundle's golden image and this host's ("name version" lines). */
export function packageDiff(
  bundle: string | undefined,
  ours: string | undefined,
): { changed: string[]; missing: string[]; extra: string[] } {
  const parse = (s?: string) =>
    new Map(
      (s ?? '')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  const a = parse(bundle);
  const b = parse(ours);
  const changed = [...a].filter(([k, v]) => b.has(k) && b.get(k) !== v).map(([k, v]) => `${k} ${v} -> ${b.get(k)}`);
  return { changed, missing: [...a.keys()].filter((k) => !b.has(k)), extra: [...b.keys()].filter((k) => !a.has(k)) };
}
