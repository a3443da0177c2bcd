// The per-candidate Kubernetes stacks (stacks/k8s-stack.ts), read from the Terraform JSON they
// synthesize. terraform plan cannot run for them here (hashicorp/kubernetes is not in the offline
// provider mirror, and a plan needs the candidate's cluster), so the synthesized resources are
// mapped back to Kubernetes objects and checked like k8s/: the v1.33 schemas, Pod Security
// "restricted", the lab's rules; plus the tenancy: quota and limits per namespace, RBAC confined
// to the candidate's namespaces.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCohort } from '../src/core/model/load.ts';
import { restrictedViolations } from '../src/modules/kubernetes/pod-security.ts';
import {
  formatMappingProblem,
  objectDifferences,
  providerVersion,
  resourceSchema,
  stackObjects,
  toProvider,
  type StackObject,
} from '../src/modules/kubernetes/provider-schema.ts';
import { OVERLAYS, overlayDir, renderKustomize, type K8sObject, type Overlay } from '../src/modules/kubernetes/render.ts';
import { formatSchemaProblem, validateSchemas } from '../src/modules/kubernetes/schema.ts';
import { appNeeds, candidateObjects, parseQuantity, rbacAllows, type Subject } from '../src/modules/kubernetes/tenancy.ts';
import { labPolicyProblems } from '../src/modules/kubernetes/workload-policy.ts';
import { K8sInputError, synthK8sCohort, type K8sStackInfo } from '../stacks/k8s-stack.ts';
import { cli, KEY_A, KEY_B, NOW } from './helpers.ts';

const COHORT = [
  'cohort: k8st',
  'candidates:',
  `  - { id: alice, sshKey: "${KEY_A}" }`,
  `  - { id: bruno, sshKey: "${KEY_B}" }`,
].join('\n');

const dirs: string[] = [];
afterAll(() =>
  dirs.forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);
const rendered = {} as Record<Overlay, K8sObject[]>;
let stacks: K8sStackInfo[] = [];
const json = new Map<string, Record<string, any>>();
const objects = new Map<string, StackObject[]>();
const measured: Record<string, number> = {};

beforeAll(async () => {
  for (const o of OVERLAYS) rendered[o] = await renderKustomize(overlayDir(o));
  const out = mkdtempSync(join(tmpdir(), 'asd-k8s-stacks-'));
  dirs.push(out);
  const cohort = parseCohort(COHORT, 'k8st.yaml', { now: NOW });
  const t0 = performance.now();
  stacks = await synthK8sCohort(cohort, join(out, 'cdktf.out'), {
    stateDir: join(out, 'state'),
    rendered,
    postgresAddresses: { alice: '10.98.1.12' },
  });
  measured.synthMs = Math.round(performance.now() - t0);
  for (const s of stacks) {
    const file = join(s.dir, 'cdk.tf.json');
    measured[`${s.name} bytes`] = statSync(file).size;
    const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
    json.set(s.candidate, j);
    objects.set(s.candidate, stackObjects(j));
  }
  // Figures for the report (docs/kubernetes.md quotes them).
  console.log(`k8s stacks synth: ${JSON.stringify(measured)}`);
}, 120_000);

const ofCandidate = (c: string) => objects.get(c)!.map((x) => x.object);
const all = () => [...objects.values()].flat().map((x) => x.object);

describe('Kubernetes stacks: layout', () => {
  it('one stack per candidate with its own state file and kubeconfig, nothing planned offline', () => {
    expect(stacks.map((s) => [s.name, s.kind, s.candidate])).toEqual([
      ['k8st-k8s-alice', 'kubernetes', 'alice'],
      ['k8st-k8s-bruno', 'kubernetes', 'bruno'],
    ]);
    for (const s of stacks) {
      const j = json.get(s.candidate)!;
      expect(j.terraform.backend.local.path).toMatch(new RegExp(`/state/${s.name}/terraform.tfstate$`));
      expect(j.terraform.required_providers.kubernetes.source).toBe('kubernetes');
      expect(j.provider.kubernetes[0].config_path).toBe('${var.kubeconfig}');
      expect(j.variable.kubeconfig.default).toMatch(new RegExp(`/${s.candidate}\\.yaml$`));
      // No AWS here: these stacks only talk to the candidate's cluster.
      expect(Object.keys(j.resource).filter((t) => !t.startsWith('kubernetes_'))).toEqual([]);
    }
  });

  it('namespaces <candidate>-test/-preprod/-prod, Pod Security restricted enforced on each', () => {
    for (const c of ['alice', 'bruno']) {
      const ns = ofCandidate(c).filter((o) => o.kind === 'Namespace');
      expect(ns.map((o) => o.metadata.name).sort()).toEqual([`${c}-preprod`, `${c}-prod`, `${c}-test`]);
      for (const n of ns) expect(n.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
      // Every namespaced object is in one of the candidate's namespaces.
      const stray = ofCandidate(c).filter(
        (o) => o.kind !== 'Namespace' && !/^(test|preprod|prod)$/.test(String(o.metadata.namespace).replace(`${c}-`, '')),
      );
      expect(stray.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([]);
    }
  });

  it('the application is derived from k8s/ (same objects as the rendered overlay, retargeted)', () => {
    for (const env of OVERLAYS) {
      const expected = candidateObjects('alice', [{ env, rendered: rendered[env] }], {
        domain: 'k8st.asd-lab.internal',
        postgresAddress: '10.98.1.12',
      }).get(env)!;
      const got = ofCandidate('alice')
        .filter((o) => o.metadata.namespace === `alice-${env}` || o.metadata.name === `alice-${env}`)
        .filter(
          (o) => !['Role', 'RoleBinding'].includes(o.kind) && !(o.kind === 'ServiceAccount' && o.metadata.name === 'candidate'),
        );
      const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
      expect(got.map(key).sort()).toEqual(expected.map(key).sort());
      for (const e of expected) {
        const g = got.find((o) => key(o) === key(e))!;
        expect(objectDifferences(e, g), `${key(e)} in alice-${env}`).toEqual([]);
      }
    }
    // The candidate's database address reached the EndpointSlice and the egress policy.
    const slice = ofCandidate('alice').find((o) => o.kind === 'EndpointSlice' && o.metadata.namespace === 'alice-prod') as any;
    expect(slice.endpoints[0].addresses).toEqual(['10.98.1.12']);
    const ingress = ofCandidate('alice').find((o) => o.kind === 'Ingress' && o.metadata.namespace === 'alice-prod') as any;
    expect(ingress.spec.rules[0].host).toBe('api.alice.k8st.asd-lab.internal');
  });
});

describe(`Kubernetes stacks: provider mapping (hashicorp/kubernetes ${providerVersion()})`, () => {
  it('typed resources map back to exactly the objects they came from (nothing lost on the way)', () => {
    const typed = [...objects.values()].flat().filter((x) => x.via === 'typed');
    expect(typed.length).toBeGreaterThan(100);
    expect(typed.flatMap((x) => x.problems.map(formatMappingProblem))).toEqual([]);
  });

  it('what the typed resources cannot express goes verbatim as kubernetes_manifest, with the reason (exact list)', () => {
    const s = stacks[0]!;
    const reasons = [
      ...new Set(s.manifests.flatMap((m) => m.reasons.map((r) => r.replace(/^[^:]+: /, `${m.object.split('/')[0]}: `)))),
    ].sort();
    expect(reasons).toEqual([
      'Deployment: spec.template.spec.containers[0].lifecycle.preStop.sleep: not in the schema of kubernetes_deployment_v1 (hashicorp/kubernetes 2.38.0)',
      'EndpointSlice: endpoints[0].conditions: not in the schema of kubernetes_endpoint_slice_v1 (hashicorp/kubernetes 2.38.0)',
      'PodDisruptionBudget: spec.unhealthyPodEvictionPolicy: not in the schema of kubernetes_pod_disruption_budget_v1 (hashicorp/kubernetes 2.38.0)',
    ]);
    // 4 objects per environment: Deployment api, EndpointSlice, two PDBs; the worker Deployment is typed.
    expect(s.manifests).toHaveLength(12);
    const j = json.get('alice')!;
    expect(Object.keys(j.resource.kubernetes_manifest).sort()).toEqual(
      OVERLAYS.flatMap((e) => [
        `${e}_deployment_api`,
        `${e}_endpointslice_postgres_1`,
        `${e}_poddisruptionbudget_api`,
        `${e}_poddisruptionbudget_worker`,
      ]).sort(),
    );
    expect(
      j.resource.kubernetes_deployment_v1.prod_deployment_worker.spec.template.spec.container[0].port[0].container_port,
    ).toBe(9091);
    expect(j.output.manifest_fallbacks.value).toHaveLength(12);
  });

  it('the mapper refuses a field unknown to the provider instead of dropping it', () => {
    const d = structuredClone(rendered.prod.find((o) => o.kind === 'Deployment' && o.metadata.name === 'worker')!) as any;
    expect(toProvider(d).problems).toEqual([]);
    d.spec.template.spec.containers[0].readinessprobe = {};
    d.spec.template.spec.hostUsers = false;
    expect(toProvider(d).problems.map(formatMappingProblem).sort()).toEqual(
      [
        'Deployment/asd-prod/worker: spec.template.spec.hostUsers: not in the schema of kubernetes_deployment_v1 (hashicorp/kubernetes 2.38.0)',
        'Deployment/asd-prod/worker: spec.template.spec.containers[0].readinessprobe: not in the schema of kubernetes_deployment_v1 (hashicorp/kubernetes 2.38.0)',
      ].sort(),
    );
    expect(toProvider({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' } }).problems[0]!.message).toMatch(
      /no resource mapped/,
    );
  });

  it('reads the provider schema from the pinned bindings (blocks, lists, attribute names)', () => {
    const s = resourceSchema('deployment-v1');
    expect(s.type).toBe('kubernetes_deployment_v1');
    expect(s.blocks.get('deploymentV1SpecTemplateSpec')!.get('container')).toMatchObject({ prop: 'container', list: true });
    expect(s.blocks.get('deploymentV1SpecTemplateSpecContainer')!.get('security_context')).toMatchObject({ list: false });
    expect(() => resourceSchema('no-such-v1')).toThrow();
  });
});

describe('Kubernetes stacks: validation of the synthesized objects', () => {
  it('every object of every stack is valid against the Kubernetes v1.33 schemas', async () => {
    for (const c of ['alice', 'bruno']) expect((await validateSchemas(ofCandidate(c))).map(formatSchemaProblem)).toEqual([]);
  }, 120_000);

  it('every workload passes Pod Security "restricted" and the lab rules', () => {
    expect(restrictedViolations(all())).toEqual([]);
    for (const env of OVERLAYS) {
      const ns = `alice-${env}`;
      const app = ofCandidate('alice').filter(
        (o) =>
          (o.metadata.namespace === ns || o.metadata.name === ns) &&
          !['Role', 'RoleBinding', 'ResourceQuota', 'LimitRange'].includes(o.kind) &&
          o.metadata.name !== 'candidate',
      );
      expect(labPolicyProblems(app, ns)).toEqual([]);
    }
  });

  it('a privileged container in a synthesized stack would be caught (negative)', () => {
    const j = structuredClone(json.get('alice')!);
    j.resource.kubernetes_deployment_v1.prod_deployment_worker.spec.template.spec.container[0].security_context.privileged = true;
    const worker = stackObjects(j).find((x) => x.address === 'kubernetes_deployment_v1.prod_deployment_worker')!;
    expect(restrictedViolations([worker.object]).join('\n')).toMatch(/privileged/);
  });
});

describe('Kubernetes stacks: quotas and limits', () => {
  it("each of the candidate's namespaces has exactly one ResourceQuota and one LimitRange", () => {
    for (const c of ['alice', 'bruno']) {
      for (const env of OVERLAYS) {
        const ns = `${c}-${env}`;
        expect(
          ofCandidate(c).filter((o) => o.kind === 'ResourceQuota' && o.metadata.namespace === ns),
          ns,
        ).toHaveLength(1);
        expect(
          ofCandidate(c).filter((o) => o.kind === 'LimitRange' && o.metadata.namespace === ns),
          ns,
        ).toHaveLength(1);
      }
    }
  });

  it('the quota holds the application at full scale during a rollout (HPA max + surge), and no more than 1.5x', () => {
    for (const env of OVERLAYS) {
      const objs = ofCandidate('alice').filter((o) => o.metadata.namespace === `alice-${env}`);
      const needs = appNeeds(objs);
      const hard = (objs.find((o) => o.kind === 'ResourceQuota') as any).spec.hard as Record<string, string>;
      for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
        for (const k of ['requests', 'limits'] as const) {
          const q = parseQuantity(hard[`${k}.${r}`]);
          expect(q, `${env} ${k}.${r}`).toBeGreaterThanOrEqual(needs[k][r]!);
          expect(q, `${env} ${k}.${r}`).toBeLessThanOrEqual(needs[k][r]! * 1.5 + 1e6);
        }
      }
      expect(Number(hard.pods)).toBeGreaterThanOrEqual(needs.pods);
      expect(hard['services.nodeports']).toBe('0');
      expect(hard['services.loadbalancers']).toBe('0');
    }
    // prod: HPA max 6 + surge 1 api pods, worker 1 + 1: 9 pods.
    expect(appNeeds(ofCandidate('alice').filter((o) => o.metadata.namespace === 'alice-prod')).pods).toBe(9);
  });

  it('every application container fits the LimitRange maximum', () => {
    for (const env of OVERLAYS) {
      const objs = ofCandidate('alice').filter((o) => o.metadata.namespace === `alice-${env}`);
      const max = (objs.find((o) => o.kind === 'LimitRange') as any).spec.limits[0].max as Record<string, string>;
      for (const d of objs.filter((o) => o.kind === 'Deployment')) {
        for (const c of (d as any).spec.template.spec.containers) {
          for (const [r, v] of Object.entries(c.resources.limits as Record<string, string>))
            expect(parseQuantity(v)).toBeLessThanOrEqual(parseQuantity(max[r]));
        }
      }
    }
  });
});

describe("Kubernetes stacks: RBAC confined to the candidate's namespaces", () => {
  const alice: Subject = { kind: 'User', name: 'alice' };
  const aliceSa: Subject = { kind: 'ServiceAccount', name: 'candidate', namespace: 'alice-test' };

  it('the candidate (user and ServiceAccount) manages the application in each of their namespaces', () => {
    const objs = all();
    for (const who of [alice, aliceSa]) {
      for (const env of OVERLAYS) {
        for (const [g, r] of [
          ['apps', 'deployments'],
          ['', 'services'],
          ['', 'secrets'],
          ['networking.k8s.io', 'ingresses'],
          ['autoscaling', 'horizontalpodautoscalers'],
        ]) {
          expect(rbacAllows(objs, who, 'create', g!, r!, `alice-${env}`), `${who.kind} ${r} alice-${env}`).toBe(true);
        }
        expect(rbacAllows(objs, who, 'get', '', 'pods/log', `alice-${env}`)).toBe(true);
      }
    }
  });

  it("grants nothing in another candidate's namespaces nor elsewhere (negative)", () => {
    const objs = all();
    for (const who of [alice, aliceSa]) {
      for (const ns of ['bruno-test', 'bruno-preprod', 'bruno-prod', 'kube-system', 'default', 'monitoring']) {
        for (const [g, r] of [
          ['apps', 'deployments'],
          ['', 'secrets'],
          ['', 'pods'],
          ['', 'pods/exec'],
        ]) {
          expect(rbacAllows(objs, who, 'get', g!, r!, ns), `${who.kind} get ${r} in ${ns}`).toBe(false);
          expect(rbacAllows(objs, who, 'create', g!, r!, ns), `${who.kind} create ${r} in ${ns}`).toBe(false);
        }
      }
    }
    // Nor may a same-named ServiceAccount of another namespace use alice's bindings.
    expect(
      rbacAllows(
        objs,
        { kind: 'ServiceAccount', name: 'candidate', namespace: 'bruno-test' },
        'get',
        'apps',
        'deployments',
        'alice-prod',
      ),
    ).toBe(false);
  });

  it('the candidate cannot raise their own quota, limits or rights, and nothing is cluster-wide', () => {
    const objs = all();
    for (const env of OVERLAYS) {
      const ns = `alice-${env}`;
      for (const verb of ['create', 'update', 'patch', 'delete']) {
        for (const [g, r] of [
          ['', 'resourcequotas'],
          ['', 'limitranges'],
          ['rbac.authorization.k8s.io', 'roles'],
          ['rbac.authorization.k8s.io', 'rolebindings'],
          ['', 'namespaces'],
        ]) {
          expect(rbacAllows(objs, alice, verb, g!, r!, ns), `${verb} ${r} in ${ns}`).toBe(false);
        }
      }
      expect(rbacAllows(objs, alice, 'get', '', 'resourcequotas', ns)).toBe(true);
    }
    expect(objs.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    for (const role of objs.filter((o) => o.kind === 'Role') as any[]) {
      for (const rule of role.rules) {
        expect(rule.verbs).not.toContain('*');
        expect(rule.resources).not.toContain('*');
        expect(rule.verbs).not.toContain('escalate');
        expect(rule.verbs).not.toContain('bind');
      }
    }
    for (const b of objs.filter((o) => o.kind === 'RoleBinding') as any[]) {
      const cand = String(b.metadata.namespace).split('-')[0];
      expect(b.roleRef.kind).toBe('Role');
      for (const s of b.subjects) expect(s.kind === 'User' ? s.name : s.namespace).toMatch(new RegExp(`^${cand}(-test)?$`));
    }
  });

  it('the evaluator itself sees a binding that leaks into another namespace (negative)', () => {
    const objs = structuredClone(all());
    const leak = structuredClone(objs.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === 'bruno-prod')!) as any;
    leak.metadata.name = 'leak';
    leak.subjects.push({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' });
    expect(rbacAllows([...objs, leak], alice, 'get', 'apps', 'deployments', 'bruno-prod')).toBe(true);
  });
});

describe('Kubernetes stacks: bad input', () => {
  it('refuses a postgres address for an unknown candidate and a cohort without the kubernetes module', async () => {
    const cohort = parseCohort(COHORT, 'k8st.yaml', { now: NOW });
    await expect(synthK8sCohort(cohort, '/nonexistent', { rendered, postgresAddresses: { zoe: '10.0.0.1' } })).rejects.toThrow(
      K8sInputError,
    );
    const off = parseCohort(
      `${COHORT}\nmodules: { data: true, containers: true, kubernetes: false, monitoring: true }`,
      'k8st.yaml',
      { now: NOW },
    );
    await expect(synthK8sCohort(off, '/nonexistent', { rendered })).rejects.toThrow(/modules.kubernetes is false/);
    await expect(synthK8sCohort(cohort, '/nonexistent', { rendered, postgresAddresses: { alice: '10.0.0' } })).rejects.toThrow(
      /IPv4/,
    );
  });
});

describe('Kubernetes stacks: the command line', () => {
  it('plan --k8s synthesizes and validates, then says plainly that terraform plan did not run, and why (exit 1)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'asd-k8s-cli-'));
    dirs.push(out);
    const r = await cli(['--json', 'plan', '--k8s', '-o', out, '--state-dir', join(out, 'state')], {
      ASD_LAB_TF_MIRROR: '/opt/tf-plugins',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'terraform plan NOT run for the Kubernetes stacks: the provider hashicorp/kubernetes is not in the offline provider mirror /opt/tf-plugins',
    );
    const j = JSON.parse(r.stdout) as {
      stacks: { name: string; typed: number; validation: { problems: string[]; objects: number } }[];
      plan: { run: boolean; reason: string };
    };
    expect(j.plan).toMatchObject({ run: false, reason: 'hashicorp/kubernetes not in the offline mirror' });
    expect(j.stacks.map((s) => [s.name, s.validation.objects, s.validation.problems])).toEqual([['solo-k8s-candidate', 76, []]]);
  }, 120_000);
});
