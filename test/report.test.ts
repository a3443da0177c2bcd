// The verify report: coverage of every criterion, bounded parallel candidates, unreachable
// candidates, the saved last result, and the terminal, JSON, HTML and JUnit outputs.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { COMPETENCIES } from '../src/core/competencies.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { coverage, mapBounded, NO_CHECK_YET, reportFailed, runVerify } from '../src/checks/run.ts';
import { renderHtml } from '../src/evidence/verify-report/html.ts';
import { renderJunit } from '../src/evidence/verify-report/junit.ts';
import { parseReport, renderReportJsonSchema } from '../src/evidence/verify-report/schema.ts';
import { loadLastVerify, saveLastVerify } from '../src/evidence/verify-report/state.ts';
import { renderTerminal } from '../src/evidence/verify-report/terminal.ts';
import { candidateVerdict, verdictText } from '../src/evidence/verify-report/verdict.ts';
import { CHECKS } from '../src/checks/index.ts';
import { cli, KEY_A } from './helpers.ts';
import { cohortOf, FAKE_CHECKS, fakeCheck, serversOf, VERSION } from './report-fixtures.ts';
import { cohortPaths } from '../src/core/state.ts';

const ALL_CRITERIA = COMPETENCIES.flatMap((c) => c.criteria.map((cr) => cr.id));
const up = async () => true;

describe('criteria coverage', () => {
  it('lists every criterion of CP1-CP10 (32), with the status rule and the reason of a not-run', () => {
    const cov = coverage(
      [
        { criterionId: 'CP1.1', status: 'pass' },
        { criterionId: 'CP3.2', status: 'pass' },
        { criterionId: 'CP3.2', status: 'fail' },
        { criterionId: 'CP4.1', status: 'not-run' },
      ],
      undefined,
      FAKE_CHECKS,
    );
    expect(cov.map((c) => c.criterionId)).toEqual(ALL_CRITERIA);
    expect(ALL_CRITERIA).toHaveLength(32);
    const by = (id: string) => cov.find((c) => c.criterionId === id)!;
    expect(by('CP1.1')).toMatchObject({ status: 'pass', pass: 1, fail: 0 });
    expect(by('CP3.2')).toMatchObject({ status: 'fail', pass: 1, fail: 1 });
    expect(by('CP4.1')).toMatchObject({ status: 'not-run', reason: 'every check not-run' });
    expect(by('CP6.1')).toMatchObject({ status: 'not-run', reason: NO_CHECK_YET, pass: 0, fail: 0, notRun: 0 });
    expect(by('CP10.3').title).toBe('Les échanges avec les développeurs sont réguliers');
  });

  it('an unreachable candidate: criteria with a check say why, those without still say "no check yet"', () => {
    const cov = coverage([], 'no server running', FAKE_CHECKS);
    expect(cov.find((c) => c.criterionId === 'CP1.1')!.reason).toBe('candidate unreachable: no server running');
    expect(cov.find((c) => c.criterionId === 'CP6.1')!.reason).toBe(NO_CHECK_YET);
  });
});

describe('running the checks of a cohort', () => {
  it('checks candidates in parallel, never more than the bound at once', async () => {
    let active = 0;
    let peak = 0;
    const slow = fakeCheck('slow', 'CP1.1', async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 60));
      active--;
      return [{ status: 'pass', evidence: 'ok' }];
    });
    const cohort = cohortOf();
    const report = await runVerify(cohort, serversOf(cohort), { checks: [slow], concurrency: 2, probe: up, version: VERSION });
    expect(peak).toBe(2);
    expect(report.candidates.map((c) => c.id)).toEqual(['alice', 'bob', 'carol']); // input order kept
    peak = 0;
    const one = await runVerify(cohort, serversOf(cohort), { checks: [slow], concurrency: 1, probe: up, version: VERSION });
    expect(one.candidates).toHaveLength(3);
    expect(peak).toBe(1);
  });

  it("runs one candidate's checks in parallel, never more than the bound, and keeps the registry's order", async () => {
    let active = 0;
    let peak = 0;
    const checks = [40, 5, 30, 10, 20].map((ms, i) =>
      fakeCheck(`c${i}`, 'CP1.1', async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, ms));
        active--;
        return [{ status: 'pass', evidence: `c${i}` }];
      }),
    );
    const cohort = cohortOf();
    const opts = { checks, concurrency: 1, candidate: 'alice', probe: up, version: VERSION };
    const report = await runVerify(cohort, serversOf(cohort), { ...opts, checkConcurrency: 3 });
    expect(peak).toBe(3);
    expect(report.candidates[0]!.checks.map((c) => c.check)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    peak = 0;
    await runVerify(cohort, serversOf(cohort), { ...opts, checkConcurrency: 1 });
    expect(peak).toBe(1);
  });

  it('mapBounded keeps order and runs everything once', async () => {
    const seen: number[] = [];
    const out = await mapBounded([5, 1, 3, 2], 3, async (x) => {
      seen.push(x);
      await new Promise((r) => setTimeout(r, x * 5));
      return x * 10;
    });
    expect(out).toEqual([50, 10, 30, 20]);
    expect(seen.sort()).toEqual([1, 2, 3, 5]);
  });

  it('an unreachable candidate is reported and the others are still checked', async () => {
    const cohort = cohortOf();
    const servers = serversOf(cohort, (c) => (c === 'bob' ? 'stopped' : 'running'));
    // carol's servers run but do not answer SSH
    const probe = async (s: { address: string }) => !s.address.startsWith('10.98.2.');
    const report = await runVerify(cohort, servers, { checks: FAKE_CHECKS, probe, version: VERSION });
    const [alice, bob, carol] = report.candidates;
    expect(alice!.reachable).toBe(true);
    expect(alice!.checks.length).toBe(4);
    expect(bob).toMatchObject({ reachable: false, checks: [] });
    expect(bob!.error).toMatch(/no server running \(gateway stopped, app stopped/);
    expect(carol!.reachable).toBe(false);
    expect(carol!.error).toMatch(/no server answers SSH \(10\.98\.2\.10:22/);
    expect(carol!.criteria).toHaveLength(32);
    expect(reportFailed(report)).toBe(true);
  });

  it('a check that throws or hangs becomes a failed record with the reason, not a crash', async () => {
    const cohort = cohortOf();
    const checks = [
      fakeCheck('boom', 'CP2.1', () => {
        throw new Error('ssh: connection reset');
      }),
      fakeCheck('hang', 'CP2.2', () => new Promise(() => undefined)),
      ...FAKE_CHECKS,
    ];
    const report = await runVerify(cohort, serversOf(cohort), {
      candidate: 'alice',
      checks,
      probe: up,
      version: VERSION,
      checkTimeoutMs: 200,
    });
    expect(report.candidates).toHaveLength(1);
    const recs = report.candidates[0]!.checks;
    expect(recs.find((x) => x.check === 'boom')).toMatchObject({
      status: 'fail',
      evidence: 'error: ssh: connection reset',
      criterionId: 'CP2.1',
      competency: 'CP2',
    });
    expect(recs.find((x) => x.check === 'hang')).toMatchObject({
      status: 'fail',
      evidence: 'error: check hang timed out after 0 s',
    });
    for (const x of recs) {
      expect(Date.parse(x.startedAt!)).not.toBeNaN();
      expect(x.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('the report is schema version 1, keeps the original shape and validates against the schema', async () => {
    const cohort = cohortOf();
    const report = await runVerify(cohort, serversOf(cohort), { checks: FAKE_CHECKS, probe: up, version: VERSION });
    expect(report.schemaVersion).toBe(1);
    expect(report.asdLab).toEqual(VERSION);
    const rec = report.candidates[0]!.checks[0]!;
    for (const key of ['competency', 'criterion', 'check', 'status', 'evidence']) expect(rec).toHaveProperty(key);
    expect(parseReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
    expect(() => parseReport({ ...report, schemaVersion: 2 })).toThrow();
    expect(report.candidates[1]!.summary).toEqual({
      pass: 2,
      fail: 1,
      notRun: 1,
      criteriaPassed: 1,
      criteriaFailed: 1,
      criteriaNotRun: 30,
    });
  });

  it('docs/verify-report.schema.json is up to date (node --import tsx src/evidence/verify-report/write-schema.ts)', () => {
    expect(readFileSync(join(REPO_ROOT, 'docs/verify-report.schema.json'), 'utf8')).toBe(renderReportJsonSchema());
  });
});

describe('the last verify result in the lab state', () => {
  it('is saved with mode 0600, and a one-candidate run replaces only that candidate', async () => {
    const state = mkdtempSync(join(tmpdir(), 'asd-report-state-'));
    const cohort = cohortOf();
    const all = await runVerify(cohort, serversOf(cohort), { checks: FAKE_CHECKS, probe: up, version: VERSION });
    const file = saveLastVerify(all, state);
    expect(file).toBe(cohortPaths('demo', state).lastVerify);
    expect((await import('node:fs')).statSync(file).mode & 0o777).toBe(0o600);
    const bobOnly = await runVerify(
      cohort,
      serversOf(cohort, () => 'stopped'),
      { candidate: 'bob', checks: FAKE_CHECKS, probe: up, version: VERSION },
    );
    saveLastVerify(bobOnly, state);
    const last = loadLastVerify('demo', state)!;
    expect(last.candidates.map((c) => c.id).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(last.candidates.find((c) => c.id === 'bob')!.reachable).toBe(false);
    expect(last.candidates.find((c) => c.id === 'alice')!.reachable).toBe(true);
    expect(loadLastVerify('other', state)).toBeUndefined();
  });
});

describe('outputs', () => {
  const cohort = cohortOf();
  const reportP = runVerify(
    cohort,
    serversOf(cohort, (c) => (c === 'carol' ? 'missing' : 'running')),
    { checks: FAKE_CHECKS, probe: up, version: VERSION },
  );

  it('terminal: grouped by competency and criterion, every criterion, "no check yet" for the gaps, in en and fr', async () => {
    const report = await reportP;
    const en = renderTerminal(report, 'en');
    for (const id of ALL_CRITERIA) expect(en).toContain(` ${id} `);
    expect(en).toMatch(
      /CP1 {3}Automate server creation with scripts\n {4}PASS +CP1\.1 +Le serveur est fonctionnel \(The server works\)\n.*- PASS +server-works \(app\): systemd: running/,
    );
    expect(en).toMatch(/NOT RUN CP6\.1 .*\n +- not-run: no check yet/);
    expect(en).toContain('FAIL    candidate unreachable, checks not run: no server running');
    expect(en).toContain('1 of 32 criteria passed, 1 failed, 30 not run');
    const fr = renderTerminal(report, 'fr');
    expect(fr).toContain('non exécuté : pas encore de vérification');
    expect(fr).toContain('Candidat alice (Alice Martin)');
    expect(fr).not.toContain('(The server works)');
  });

  it('HTML: one self-contained page with every competency, criterion, check, evidence (escaped) and the diagram', async () => {
    const report = await reportP;
    const html = renderHtml(report, 'en', { svg: '<svg xmlns="http://www.w3.org/2000/svg"><text>10.98.0.11</text></svg>' });
    for (const comp of COMPETENCIES.filter((c) => c.criteria.length))
      expect(html).toContain(`${comp.id} — ${comp.fr.replace(/'/g, "'")}`.replace(/&/g, '&amp;'));
    for (const id of ALL_CRITERIA) expect(html).toContain(`id="cand-alice-${id}"`);
    expect(html).toContain('root login accepted &lt;script&gt;alert(1)&lt;/script&gt; &amp; more');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('<text>10.98.0.11</text>');
    expect(html).toContain('not-run: no check yet');
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('@media print');
    const fr = renderHtml(report, 'fr', { mermaid: 'flowchart LR', note: 'Graphviz absent' });
    expect(fr).toContain('<html lang="fr">');
    expect(fr).toContain('Rapport de vérification — promotion demo');
    expect(fr).toContain('<pre class="mermaid">flowchart LR</pre>');
  });

  it('JUnit: well-formed XML, a failure per failed check, skipped for not-run and for criteria without a check', async () => {
    const report = await reportP;
    const xml = renderJunit(report);
    const py = await execa(
      'python3',
      [
        '-c',
        [
          'import sys, xml.etree.ElementTree as ET',
          'r = ET.fromstring(sys.stdin.read())',
          'print(r.get("tests"), r.get("failures"), r.get("skipped"), len(r.findall(".//testcase")), len(r.findall(".//failure")), len(r.findall(".//skipped")))',
        ].join('\n'),
      ],
      { input: xml, reject: false },
    );
    expect(py.exitCode, `python3 is needed to parse the XML: ${py.stderr}`).toBe(0);
    const [tests, failures, skipped, cases, failureEls, skippedEls] = py.stdout.trim().split(' ').map(Number);
    expect(tests).toBe(cases);
    expect(failures).toBe(failureEls);
    expect(skipped).toBe(skippedEls);
    // alice: 4 checks + 29 criteria without a check; bob: same; carol: unreachable + 32 skipped criteria
    expect(cases).toBe(33 + 33 + 33);
    expect(failures).toBe(1 + 1); // bob's ssh-root-refused, carol unreachable
    expect(xml).toContain('&lt;script&gt;');
    expect(xml).toContain('classname="bob.CP3.2" name="ssh-root-refused"');
  });
});

describe('honest summaries: "passed" only when every criterion passes', () => {
  const cohort = cohortOf();
  // A check that passes every criterion of the title, for alice only.
  const everyCriterion = ALL_CRITERIA.map((id) =>
    fakeCheck(`all-${id}`, id, (c) => [{ status: c === 'alice' ? 'pass' : 'not-run', evidence: 'seen' }]),
  );
  const reportP = runVerify(cohort, serversOf(cohort), {
    checks: [...everyCriterion, ...FAKE_CHECKS],
    probe: up,
    version: VERSION,
  });
  const twoOf32 = runVerify(cohort, serversOf(cohort), { checks: FAKE_CHECKS.slice(0, 1), probe: up, version: VERSION });

  it('verdicts: pass when all 32 pass, fail when one fails, incomplete when some are not run', async () => {
    const r = await reportP;
    const by = (id: string) => r.candidates.find((c) => c.id === id)!;
    expect(candidateVerdict(by('alice'))).toBe('pass');
    expect(candidateVerdict(by('bob'))).toBe('fail'); // ssh-root-refused fails for bob
    const partial = (await twoOf32).candidates[0]!;
    expect(partial.summary.criteriaPassed).toBe(1);
    expect(candidateVerdict(partial)).toBe('incomplete');
    expect(verdictText(partial, 'en')).toBe('32 criteria: 1 passed · 0 failed · 31 not run');
    expect(verdictText(partial, 'fr')).toBe('32 critères : 1 réussi · 0 en échec · 31 non exécutés');
    expect(verdictText(by('alice'), 'fr')).toBe('réussi : les 32 critères');
  });

  it('HTML: the badge of a partly checked candidate shows the counts, never "pass"; in the page language', async () => {
    const partial = renderHtml(await twoOf32, 'en');
    const toc = partial.slice(0, partial.indexOf('<section'));
    expect(toc).toContain('<span class="badge incomplete">32 criteria: 1 passed · 0 failed · 31 not run</span>');
    expect(toc).not.toContain('class="badge pass"');
    expect(renderHtml(await twoOf32, 'fr')).toContain(
      '<span class="badge incomplete">32 critères : 1 réussi · 0 en échec · 31 non exécutés</span>',
    );
    const full = renderHtml(await reportP, 'en');
    expect(full).toContain('<span class="badge pass">passed: all 32 criteria</span>');
    expect(full).toMatch(/<span class="badge fail">32 criteria: \d+ passed · 1 failed/);
  });

  it('HTML: server states and dates translated, dates in local time', async () => {
    const report = await twoOf32;
    const fixed = {
      ...report,
      generatedAt: '2026-07-14T10:00:00.000Z',
      candidates: report.candidates.map((c) => ({
        ...c,
        startedAt: '2026-07-14T09:59:00.000Z',
        finishedAt: '2026-07-14T10:00:00.000Z',
      })),
    };
    fixed.candidates[0]!.servers[0]!.state = 'missing';
    const dir = mkdtempSync(join(tmpdir(), 'asd-report-tz-'));
    const input = join(dir, 'report.json');
    (await import('node:fs')).writeFileSync(input, JSON.stringify(fixed));
    const script = join(dir, 'render.mts');
    (await import('node:fs')).writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';\nimport { renderHtml } from ${JSON.stringify(join(REPO_ROOT, 'src/evidence/verify-report/html.ts'))};\nconst r = JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8'));\nprocess.stdout.write(renderHtml(r, process.argv[2] as 'fr' | 'en'));\n`,
    );
    const render = async (lang: string, tz: string) =>
      (await execa(process.execPath, ['--import', 'tsx', script, lang], { env: { TZ: tz }, cwd: REPO_ROOT })).stdout;
    const fr = await render('fr', 'Europe/Paris');
    expect(fr).toContain('Généré le 14 juillet 2026 à 12:00:00');
    expect(fr).toContain('non créé');
    expect(fr).not.toContain('2026-07-14T10:00:00.000Z');
    const en = await render('en', 'America/New_York');
    expect(en).toContain('Generated on July 14, 2026 at 6:00:00');
    expect(en).toContain('not created');
  }, 30_000);

  it('terminal, progress line and JUnit say the same verdict', async () => {
    const report = await twoOf32;
    const text = renderTerminal(report, 'en');
    expect(text).toContain('NOT RUN Result: 32 criteria: 1 passed · 0 failed · 31 not run');
    expect(renderTerminal(await reportP, 'en')).toContain('PASS    Result: passed: all 32 criteria');
    const xml = renderJunit(report);
    expect(xml).toContain('<property name="asd-lab.verdict" value="incomplete"/>');
    expect(xml).toContain('<property name="asd-lab.criteria.passed" value="1"/>');
  });
});

describe('asd-lab verify (CLI, no server)', () => {
  it('reports an unreachable candidate, writes JSON, HTML and JUnit, saves the last result, exit 1', async () => {
    const state = mkdtempSync(join(tmpdir(), 'asd-report-cli-'));
    const file = join(state, 'cohort.yaml');
    (await import('node:fs')).writeFileSync(
      file,
      `cohort: rep\ncandidates: [{id: zed, sshKey: "${KEY_A}"}]\nlocal: {subnetPool: 10.240.25.0/24, subnetPrefix: 27}\n`,
    );
    const html = join(state, 'r.html');
    const junit = join(state, 'r.xml');
    const r = await cli(['-c', file, '--json', 'verify', '--html', html, '--junit', junit], { ASD_LAB_STATE: state });
    expect(r.code, r.stderr).toBe(1);
    const report = parseReport(JSON.parse(r.stdout));
    expect(report.candidates[0]).toMatchObject({ id: 'zed', reachable: false });
    expect(report.candidates[0]!.criteria).toHaveLength(32);
    expect(report.asdLab.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(html, 'utf8')).toContain('candidate unreachable');
    expect(readFileSync(junit, 'utf8')).toContain('<testsuites');
    expect(existsSync(cohortPaths('rep', state).lastVerify)).toBe(true);
    const fr = await cli(['-c', file, '--lang', 'fr', 'verify', '--candidate', 'zed', '--no-save'], { ASD_LAB_STATE: state });
    expect(fr.stdout).toContain('candidat injoignable');
    const bad = await cli(['-c', file, 'verify', '--concurrency', '0'], { ASD_LAB_STATE: state });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency must be a positive integer');
  });

  it('the registered checks all map to registry criteria (the report can place them)', () => {
    for (const c of CHECKS) expect(ALL_CRITERIA).toContain(c.criterion);
  });
});
