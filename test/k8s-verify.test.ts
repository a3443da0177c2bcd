// The CP8 checks of `asd-lab verify`: parity and description of k8s/ (no cluster needed), and the
// application on the candidate's cluster, not-run with the reason when there is none.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCohort } from '../src/core/model/load.ts';
import { CHECKS } from '../src/checks/index.ts';
import { k8sAvailable, k8sDescribed, k8sParity, kubeconfigOf } from '../src/modules/kubernetes/checks.ts';
import { KEY_A, NOW } from './helpers.ts';

const cohort = parseCohort(`cohort: kv\ncandidates:\n  - { id: alice, sshKey: "${KEY_A}" }\n`, 'kv.yaml', { now: NOW });
const ctx = { cohort, candidate: cohort.candidates[0]!, servers: [] };
const dirs: string[] = [];
afterAll(() =>
  dirs.forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);

describe('CP8 checks', () => {
  it('are registered in verify', () => {
    expect(CHECKS.filter((c) => c.path === 'src/modules/kubernetes/checks.ts').map((c) => [c.id, c.criterion])).toEqual([
      ['k8s-preprod-matches-prod', 'CP8.1'],
      ['k8s-containers-described', 'CP8.3'],
      ['k8s-app-available-in-prod', 'CP8.4'],
    ]);
  });

  it('CP8.1 and CP8.3 pass on the committed k8s/, with evidence', async () => {
    const [parity] = await k8sParity.run(ctx);
    expect(parity).toMatchObject({ status: 'pass' });
    expect(parity!.evidence).toMatch(/objects compared; \d+ allowed difference\(s\) \(.*replicas.*\), none other/);
    const [described] = await k8sDescribed.run(ctx);
    expect(described).toMatchObject({ status: 'pass' });
    expect(described!.evidence).toMatch(/objects in test, preprod and prod: schemas v1\.33\.0/);
  }, 120_000);

  it('CP8.4 is not-run without a cluster, and says where it looked', async () => {
    const state = mkdtempSync(join(tmpdir(), 'asd-k8s-verify-'));
    dirs.push(state);
    const saved = { KUBECONFIG: process.env.KUBECONFIG, ASD_LAB_STATE: process.env.ASD_LAB_STATE };
    delete process.env.KUBECONFIG;
    process.env.ASD_LAB_STATE = state;
    try {
      const [out] = await k8sAvailable.run(ctx);
      expect(out).toEqual({
        status: 'not-run',
        evidence: `no cluster: no readable kubeconfig (${join(state, 'kubeconfig', 'alice.yaml')})`,
      });
      // A kubeconfig of an unreachable cluster is a failure, not a pass.
      const kc = join(state, 'kubeconfig');
      mkdirSync(kc);
      writeFileSync(
        join(kc, 'alice.yaml'),
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
      expect(kubeconfigOf('alice').file).toBe(join(kc, 'alice.yaml'));
      const [down] = await k8sAvailable.run(ctx);
      expect(down!.status).toBe('fail');
      expect(down!.evidence).toMatch(/^kubectl get deployment -n alice-prod: /);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  }, 60_000);
});
