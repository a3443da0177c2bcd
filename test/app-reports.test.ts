// The app's own test suite (npm run app:test) and its reports for developers (CP5.3, CP5.4):
// run it with a deliberate defect and check that the JUnit XML and the Markdown summary say so.
// Needs PostgreSQL's server binaries (Debian package postgresql): the suite starts its own cluster.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { defectsMarkdown, parseJUnit } from '../reference-app/scripts/defects.ts';
import { REPO_ROOT } from '../src/core/repo.ts';

describe('JUnit parsing and the defect summary', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="3" failures="1" errors="0" time="0.1">
  <testsuite name="test/a.test.ts" tests="3" failures="1" errors="0" skipped="1" time="0.1">
    <testcase classname="test/a.test.ts" name="s &gt; works" time="0.01"></testcase>
    <testcase classname="test/a.test.ts" name="s &gt; breaks | badly" time="0.02">
      <failure message="expected 1 to be 2 &amp; more" type="AssertionError">AssertionError: expected 1 to be 2
 ❯ test/a.test.ts:3:4</failure>
    </testcase>
    <testcase classname="test/a.test.ts" name="s &gt; later" time="0"><skipped/></testcase>
  </testsuite>
</testsuites>`;

  it('reads tests, failures with their message, and skips', () => {
    const s = parseJUnit(xml);
    expect(s).toMatchObject({ tests: 3, failures: 1, skipped: 1 });
    expect(s.cases[1]).toMatchObject({
      name: 's > breaks | badly',
      failure: { message: 'expected 1 to be 2 & more', type: 'AssertionError' },
    });
    expect(() => parseJUnit('<html/>')).toThrow(/not a JUnit XML report/);
  });

  it('lists each defect with its file, test, message and stack', () => {
    const md = defectsMarkdown(parseJUnit(xml), { title: 'x', date: '2026-11-29', junitPath: 'r/junit.xml', commit: 'abc' });
    expect(md).toContain('tests: 3, passed: 1, failed: 1, skipped: 1');
    expect(md).toContain('**1 defect(s)** to fix');
    expect(md).toContain('| 1 | test/a.test.ts | s > breaks \\| badly | expected 1 to be 2 & more |');
    expect(md).toContain('❯ test/a.test.ts:3:4');
    const clean = defectsMarkdown(parseJUnit(xml.replace(/<failure[\s\S]*?<\/failure>/, '')), {
      title: 'x',
      date: 'd',
      junitPath: 'j',
    });
    expect(clean).toContain('**No defect**: 2 test(s) passed.');
  });
});

describe('npm run app:test with a deliberate defect', () => {
  it('fails, and writes a JUnit XML and a defect summary that name the failing test', async () => {
    const reports = await mkdtemp(path.join(os.tmpdir(), 'asd-app-reports-'));
    const r = await execa('npm', ['run', '--silent', 'app:test', '--', '--reports', reports], {
      cwd: REPO_ROOT,
      reject: false,
      all: true,
      env: { APP_TEST_INJECT_DEFECT: '1' },
    });
    expect(r.exitCode, r.all).toBe(1);
    const sum = parseJUnit(await readFile(path.join(reports, 'junit.xml'), 'utf8'));
    const failed = sum.cases.filter((c) => c.failure);
    expect(failed.map((c) => c.name)).toEqual(['injected defect > v1 serves /api/stats (deliberately wrong)']);
    expect(failed[0]!.failure!.message).toMatch(/expected 404 to be 200/);
    // The real suite ran beside it, on a real PostgreSQL, and passed.
    expect(sum.tests).toBeGreaterThan(20);
    expect(sum.cases.find((c) => c.name.includes('creates, lists and reads items'))?.failure).toBeUndefined();
    const md = await readFile(path.join(reports, 'defects.md'), 'utf8');
    expect(md).toContain('**1 defect(s)** to fix');
    expect(md).toContain(
      '| 1 | test/injected/defect.test.ts | injected defect > v1 serves /api/stats (deliberately wrong) | expected 404 to be 200',
    );
    await rm(reports, { recursive: true, force: true });
  }, 180_000);
});
