// `asd-lab k8s apply ENV --kubeconfig FILE`. Input checks and the order of the steps are tested
// here with no cluster. The real apply runs only against a cluster named by KUBECONFIG: without
// one, the test is reported as skipped with the reason in its title ("not run"), never as passed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySteps, checkApplyInput, K8sApplyError } from '../src/modules/kubernetes/apply.ts';
import { overlayDir, renderKustomize, type K8sObject } from '../src/modules/kubernetes/render.ts';
import { retarget } from '../src/modules/kubernetes/retarget.ts';
import { cli } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-k8s-apply-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kubeconfig = join(dir, 'kubeconfig.yaml');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');

describe('k8s apply: input checked before anything reaches a cluster', () => {
  it('refuses an unknown environment, a missing kubeconfig, a missing env file, a bad timeout', () => {
    expect(() => checkApplyInput({ env: 'staging', kubeconfig })).toThrow(/"staging" is not one of test, preprod, prod/);
    expect(() => checkApplyInput({ env: 'prod', kubeconfig: join(dir, 'nope') })).toThrow(
      /kubeconfig file .*nope does not exist/,
    );
    expect(() => checkApplyInput({ env: 'prod', kubeconfig: '' })).toThrow(K8sApplyError);
    expect(() => checkApplyInput({ env: 'prod', kubeconfig, dbEnvFile: join(dir, 'db.env') })).toThrow(
      /--db-env .*db.env does not exist/,
    );
    expect(() => checkApplyInput({ env: 'prod', kubeconfig, timeout: 'soon' })).toThrow(/--timeout/);
    expect(checkApplyInput({ env: 'preprod', kubeconfig, timeout: '120s' })).toBe('preprod');
  });

  it('the CLI says so in French and English, exit 2 (bad argument)', async () => {
    const en = await cli(['k8s', 'apply', 'prod', '--kubeconfig', join(dir, 'nope')]);
    expect(en.code).toBe(2);
    expect(en.stderr).toMatch(/kubeconfig file .* does not exist or is not readable/);
    const fr = await cli(['--lang', 'fr', 'k8s', 'apply', 'qa', '--kubeconfig', kubeconfig]);
    expect(fr.code).toBe(2);
    expect(fr.stderr).toMatch(/l'environnement « qa » n'est pas test, preprod ou prod/);
    const cand = await cli(['k8s', 'apply', 'test', '--kubeconfig', kubeconfig, '--candidate', 'zoe']);
    expect(cand.stderr).toMatch(/candidate "zoe" is not in cohort solo/);
  });

  it('an unreachable cluster is reported as such, before any object is sent', async () => {
    // A kubeconfig pointing at a closed loopback port: kubectl cannot connect.
    const closed = join(dir, 'closed.yaml');
    writeFileSync(
      closed,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: c',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'users: [{name: u, user: {token: x}}]',
        '',
      ].join('\n'),
    );
    chmodSync(closed, 0o600);
    const r = await cli(['k8s', 'apply', 'test', '--kubeconfig', closed]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot be reached|injoignable/);
  }, 60_000);
});

describe('k8s apply: the steps', () => {
  let objects: K8sObject[] = [];
  beforeAll(async () => {
    objects = retarget(await renderKustomize(overlayDir('prod')), { namespace: 'alice-prod' });
  }, 60_000);

  it('namespace first, then the Secret (only from an env file), then every object, then the rollout of both Deployments', () => {
    const steps = applySteps(objects, 'alice-prod', { dbEnvFile: '/x/prod-db.env', timeout: '120s' });
    expect(steps.map((s) => s.id)).toEqual(['namespace', 'secret', 'objects', 'rollout']);
    expect(steps[0]!.input).toMatch(/kind: Namespace\nmetadata:\n(.|\n)*name: alice-prod/);
    expect(steps[0]!.input).not.toMatch(/kind: Deployment/);
    expect(steps[1]!.args).toEqual([
      '-n',
      'alice-prod',
      'create',
      'secret',
      'generic',
      'asd-db',
      '--from-env-file=/x/prod-db.env',
      '--dry-run=client',
      '-o',
      'yaml',
    ]);
    expect(steps[2]!.input!.split('\n---\n')).toHaveLength(objects.length);
    expect(steps[3]!.args).toEqual([
      '-n',
      'alice-prod',
      'rollout',
      'status',
      'deployment/api',
      'deployment/worker',
      '--timeout=120s',
    ]);
    // Without an env file, no Secret step (apply then requires the Secret to exist already).
    expect(applySteps(objects, 'alice-prod', {}).map((s) => s.id)).toEqual(['namespace', 'objects', 'rollout']);
  });
});

// ---- against a real cluster, only when there is one ----
const KUBECONFIG = process.env.KUBECONFIG;
const NOT_RUN = 'not run: no cluster (KUBECONFIG unset)';
if (!KUBECONFIG) console.warn(`test/k8s-apply.test.ts, real cluster: ${NOT_RUN}`);

describe.skipIf(!KUBECONFIG)(`k8s apply on the cluster of KUBECONFIG${KUBECONFIG ? '' : ` — ${NOT_RUN}`}`, () => {
  it('applies the test environment into a throw-away namespace and waits for the rollout', async () => {
    const db = join(dir, 'db.env');
    writeFileSync(db, 'PGDATABASE=asd\nPGUSER=asd\nPGPASSWORD=not-a-real-password\n', { mode: 0o600 });
    // The solo cohort's candidate: namespace candidate-test, deleted afterwards.
    const ns = 'candidate-test';
    try {
      const r = await cli(
        [
          '--json',
          'k8s',
          'apply',
          'test',
          '--candidate',
          'candidate',
          '--kubeconfig',
          KUBECONFIG!,
          '--db-env',
          db,
          '--timeout',
          '300s',
        ],
        {},
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { namespace: string; steps: { id: string; ok: boolean }[] };
      expect(out.namespace).toBe(ns);
      expect(out.steps.map((s) => [s.id, s.ok])).toEqual([
        ['namespace', true],
        ['secret', true],
        ['objects', true],
        ['rollout', true],
      ]);
      const ready = await execa('kubectl', [
        '--kubeconfig',
        KUBECONFIG!,
        '-n',
        out.namespace,
        'get',
        'deployment',
        'api',
        '-o',
        'jsonpath={.status.readyReplicas}',
      ]);
      expect(Number(ready.stdout)).toBeGreaterThanOrEqual(1);
    } finally {
      await execa('kubectl', ['--kubeconfig', KUBECONFIG!, 'delete', 'namespace', ns, '--ignore-not-found', '--wait=false'], {
        reject: false,
      });
    }
  }, 600_000);
});
