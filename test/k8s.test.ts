// The Kubernetes description of the reference application (k8s/), validated with no cluster:
// real `kubectl kustomize` renders, the Kubernetes v1.33 schemas of a pinned npm package, the
// Pod Security "restricted" profile as code, the lab's workload rules and the preprod/prod
// parity rule. Every check has a negative test proving that it can fail.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareEnvironments, formatDifference, parityViolations } from '../src/modules/kubernetes/parity.ts';
import {
  checkRestricted,
  POD_SECURITY_CHECKS,
  podTemplates,
  restrictedViolations,
} from '../src/modules/kubernetes/pod-security.ts';
import {
  K8S_DIR,
  OVERLAY_NAMESPACE,
  OVERLAYS,
  overlayDir,
  parseObjects,
  renderKustomize,
  RenderError,
  type K8sObject,
  type Overlay,
} from '../src/modules/kubernetes/render.ts';
import { retarget, RetargetError } from '../src/modules/kubernetes/retarget.ts';
import { formatSchemaProblem, installedSchemaVersion, SCHEMA_SOURCE, validateSchemas } from '../src/modules/kubernetes/schema.ts';
import {
  containerProblems,
  deploymentProblems,
  externalServiceProblems,
  labPolicyProblems,
  namespaceProblems,
  networkFlows,
  storageProblems,
} from '../src/modules/kubernetes/workload-policy.ts';

const rendered = {} as Record<Overlay, K8sObject[]>;
beforeAll(async () => {
  for (const o of OVERLAYS) rendered[o] = await renderKustomize(overlayDir(o));
}, 60_000);

const find = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};
// Mutable access to nested fields of a rendered object in negative tests.
const deep = (o: K8sObject) => o as any;
const clone = (objs: K8sObject[]) => structuredClone(objs);

describe('kustomize overlays render', () => {
  it.each(OVERLAYS)('%s renders every object of the application into its own namespace', (o) => {
    const objs = rendered[o];
    const kinds = objs.map((x) => `${x.kind}/${x.metadata.name}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        `Namespace/${OVERLAY_NAMESPACE[o]}`,
        'Deployment/api',
        'Deployment/worker',
        'Service/api',
        'Service/worker-metrics',
        'Service/postgres',
        'EndpointSlice/postgres-1',
        'HorizontalPodAutoscaler/api',
        'PodDisruptionBudget/api',
        'PodDisruptionBudget/worker',
        'PersistentVolumeClaim/worker-data',
        'Ingress/api',
        'NetworkPolicy/default-deny',
        'ServiceAccount/api',
        'ServiceAccount/worker',
      ]),
    );
    expect(namespaceProblems(objs, OVERLAY_NAMESPACE[o])).toEqual([]);
    const ns = find(objs, 'Namespace', OVERLAY_NAMESPACE[o]);
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('sets images per overlay with kustomize images: (tag or digest, never untagged)', () => {
    for (const o of OVERLAYS) {
      const images = podTemplates(rendered[o]).flatMap((t) => (t.spec.containers as { image: string }[]).map((c) => c.image));
      // One image for the application (what `asd-lab app image --version v1` builds), the role as argument.
      expect(images.sort()).toEqual(['localhost/asd-lab/app:v1', 'localhost/asd-lab/app:v1']);
      const args = podTemplates(rendered[o]).map((t) => (t.spec.containers as { args: string[] }[])[0]!.args);
      expect(args.sort()).toEqual([['api'], ['worker']]);
    }
  });

  it('each environment has its own Ingress host and an explicit storage class', () => {
    const hosts = OVERLAYS.map((o) => deep(find(rendered[o], 'Ingress', 'api')).spec.rules[0].host);
    expect(new Set(hosts).size).toBe(3);
    for (const o of OVERLAYS) {
      expect(deep(find(rendered[o], 'PersistentVolumeClaim', 'worker-data')).spec.storageClassName).toBe('local-path');
    }
  });

  it('reports a missing kubectl and a broken kustomization clearly', async () => {
    await expect(renderKustomize(overlayDir('prod'), '/nonexistent/kubectl')).rejects.toThrow(
      /not found: install the kubectl client/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'asd-k8s-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
      await expect(renderKustomize(dir)).rejects.toThrow(RenderError);
      await expect(renderKustomize(dir)).rejects.toThrow(/missing\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parseObjects('kind: Foo\n')).toThrow(/not a Kubernetes object/);
  });
});

describe(`schema validation (${SCHEMA_SOURCE.package}@${SCHEMA_SOURCE.version}, Kubernetes ${SCHEMA_SOURCE.kubernetes})`, () => {
  it('the installed schema package is the pinned one', () => {
    expect(installedSchemaVersion()).toBe(SCHEMA_SOURCE.version);
    const pkg = JSON.parse(readFileSync(join(K8S_DIR, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies[SCHEMA_SOURCE.package]).toBe(SCHEMA_SOURCE.version);
  });

  it.each(OVERLAYS)(
    'every rendered object of %s is valid',
    async (o) => {
      expect((await validateSchemas(rendered[o])).map(formatSchemaProblem)).toEqual([]);
    },
    60_000,
  );

  it('rejects a quantity given as an object, a wrong type and a missing required field', async () => {
    const objs = clone(rendered.prod);
    const api = deep(find(objs, 'Deployment', 'api'));
    api.spec.template.spec.containers[0].resources.limits.cpu = {};
    api.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    delete deep(find(objs, 'Deployment', 'worker')).spec.selector;
    const problems = (await validateSchemas(objs)).map(formatSchemaProblem);
    expect(problems).toEqual(
      expect.arrayContaining([
        'Deployment/api: spec.template.spec.containers[0].resources.limits.cpu: must be number or string',
        'Deployment/api: spec.template.spec.containers[0].ports[0].containerPort: must be integer',
        'Deployment/worker: spec: must have required property "selector"',
      ]),
    );
  }, 60_000);

  it('rejects unknown fields at any depth, as the API server does', async () => {
    const objs = clone(rendered.prod);
    const api = deep(find(objs, 'Deployment', 'api'));
    api.spec.template.spec.containers[0].readinessprobe = api.spec.template.spec.containers[0].readinessProbe;
    api.metadata.lables = { a: 'b' };
    deep(find(objs, 'NetworkPolicy', 'default-deny')).spec.polcyTypes = ['Ingress'];
    const problems = (await validateSchemas(objs)).map(formatSchemaProblem);
    expect(problems).toEqual([
      'Deployment/api: metadata.lables: unknown field "lables" (not in the v1.33.0 schema of ObjectMeta)',
      'Deployment/api: spec.template.spec.containers[0].readinessprobe: unknown field "readinessprobe" (not in the v1.33.0 schema of Container)',
      'NetworkPolicy/default-deny: spec.polcyTypes: unknown field "polcyTypes" (not in the v1.33.0 schema of NetworkPolicySpec)',
    ]);
  }, 60_000);

  it('rejects API versions that Kubernetes v1.33 no longer serves', async () => {
    const objs = clone(rendered.prod);
    const pdb = find(objs, 'PodDisruptionBudget', 'api');
    pdb.apiVersion = 'policy/v1beta1';
    const problems = (await validateSchemas(objs)).map(formatSchemaProblem);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^PodDisruptionBudget\/api: apiVersion: policy\/v1beta1 PodDisruptionBudget is not among the API versions accepted here/,
    );
  }, 60_000);
});

describe('Pod Security "restricted" as code', () => {
  it.each(OVERLAYS)('every workload of %s passes every restricted check', (o) => {
    expect(
      podTemplates(rendered[o])
        .map((t) => t.object.metadata.name)
        .sort(),
    ).toEqual(['api', 'worker']);
    expect(restrictedViolations(rendered[o])).toEqual([]);
  });

  // Each mutation of the compliant API pod must be caught by the named check.
  const pod = () => {
    const t = podTemplates(clone(rendered.prod)).find((x) => x.object.metadata.name === 'api')!;
    return { meta: t.meta as any, spec: t.spec as any, c: (t.spec as any).containers[0] };
  };
  const cases: [string, string, (p: ReturnType<typeof pod>) => void][] = [
    [
      'hostNamespaces',
      'hostNetwork',
      (p) => {
        p.spec.hostNetwork = true;
      },
    ],
    [
      'hostNamespaces',
      'hostPID',
      (p) => {
        p.spec.hostPID = true;
      },
    ],
    [
      'hostNamespaces',
      'hostIPC',
      (p) => {
        p.spec.hostIPC = true;
      },
    ],
    [
      'privileged',
      'privileged container',
      (p) => {
        p.c.securityContext.privileged = true;
      },
    ],
    [
      'hostPorts',
      'hostPort',
      (p) => {
        p.c.ports[0].hostPort = 8080;
      },
    ],
    [
      'appArmorProfile',
      'Unconfined AppArmor field',
      (p) => {
        p.c.securityContext.appArmorProfile = { type: 'Unconfined' };
      },
    ],
    [
      'appArmorProfile',
      'unconfined AppArmor annotation',
      (p) => {
        p.meta.annotations = { 'container.apparmor.security.beta.kubernetes.io/api': 'unconfined' };
      },
    ],
    [
      'seLinuxOptions',
      'custom SELinux type',
      (p) => {
        p.spec.securityContext.seLinuxOptions = { type: 'spc_t' };
      },
    ],
    [
      'seLinuxOptions',
      'SELinux user',
      (p) => {
        p.c.securityContext.seLinuxOptions = { user: 'system_u' };
      },
    ],
    [
      'procMount',
      'Unmasked /proc',
      (p) => {
        p.c.securityContext.procMount = 'Unmasked';
      },
    ],
    [
      'sysctls',
      'unsafe sysctl',
      (p) => {
        p.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '1' }];
      },
    ],
    [
      'windowsHostProcess',
      'HostProcess',
      (p) => {
        p.c.securityContext.windowsOptions = { hostProcess: true };
      },
    ],
    [
      'hostProbesAndHostLifecycle',
      'probe on another host',
      (p) => {
        p.c.livenessProbe.httpGet.host = '10.0.0.1';
      },
    ],
    [
      'restrictedVolumes',
      'hostPath volume',
      (p) => {
        p.spec.volumes.push({ name: 'h', hostPath: { path: '/' } });
      },
    ],
    [
      'restrictedVolumes',
      'nfs volume',
      (p) => {
        p.spec.volumes.push({ name: 'n', nfs: { server: 'x', path: '/' } });
      },
    ],
    [
      'allowPrivilegeEscalation',
      'escalation allowed',
      (p) => {
        p.c.securityContext.allowPrivilegeEscalation = true;
      },
    ],
    [
      'allowPrivilegeEscalation',
      'escalation unset',
      (p) => {
        delete p.c.securityContext.allowPrivilegeEscalation;
      },
    ],
    [
      'runAsNonRoot',
      'runAsNonRoot false',
      (p) => {
        p.c.securityContext.runAsNonRoot = false;
      },
    ],
    [
      'runAsNonRoot',
      'runAsNonRoot unset everywhere',
      (p) => {
        delete p.c.securityContext.runAsNonRoot;
        delete p.spec.securityContext.runAsNonRoot;
      },
    ],
    [
      'runAsUser',
      'runAsUser 0',
      (p) => {
        p.c.securityContext.runAsUser = 0;
      },
    ],
    [
      'seccompProfile',
      'Unconfined seccomp',
      (p) => {
        p.c.securityContext.seccompProfile = { type: 'Unconfined' };
      },
    ],
    [
      'seccompProfile',
      'seccomp unset everywhere',
      (p) => {
        delete p.c.securityContext.seccompProfile;
        delete p.spec.securityContext.seccompProfile;
      },
    ],
    [
      'capabilities',
      'ALL not dropped',
      (p) => {
        p.c.securityContext.capabilities.drop = ['NET_RAW'];
      },
    ],
    [
      'capabilities',
      'SYS_ADMIN added',
      (p) => {
        p.c.securityContext.capabilities.add = ['SYS_ADMIN'];
      },
    ],
  ];

  it.each(cases)('%s catches: %s', (check, _what, mutate) => {
    const p = pod();
    expect(checkRestricted(p.meta, p.spec, 'spec.template.spec')).toEqual([]);
    mutate(p);
    const found = checkRestricted(p.meta, p.spec, 'spec.template.spec');
    expect(found.map((v) => v.check)).toEqual([check]);
  });

  it('every check of the profile has a negative test', () => {
    expect(new Set(cases.map(([c]) => c))).toEqual(new Set(POD_SECURITY_CHECKS));
  });

  it('accepts what the profile allows: NET_BIND_SERVICE, pod-level seccomp and runAsNonRoot, a volume defaulted to emptyDir', () => {
    const p = pod();
    p.c.securityContext.capabilities.add = ['NET_BIND_SERVICE'];
    delete p.c.securityContext.seccompProfile;
    delete p.c.securityContext.runAsNonRoot;
    p.spec.volumes.push({ name: 'scratch' });
    expect(checkRestricted(p.meta, p.spec)).toEqual([]);
  });
});

describe('lab rules: sizing, probes, rollout, disruption budget, storage, secrets', () => {
  it.each(OVERLAYS)('%s complies with every rule', (o) => {
    expect(labPolicyProblems(rendered[o], OVERLAY_NAMESPACE[o])).toEqual([]);
  });

  it('catches a missing limit, a missing probe, a writable root filesystem and a mounted token', () => {
    const objs = clone(rendered.prod);
    const c = deep(find(objs, 'Deployment', 'worker')).spec.template.spec;
    delete c.containers[0].resources.limits['ephemeral-storage'];
    delete c.containers[0].startupProbe;
    c.containers[0].securityContext.readOnlyRootFilesystem = false;
    c.automountServiceAccountToken = true;
    expect(containerProblems(objs)).toEqual([
      'Deployment/worker: spec.template.spec.containers[0].resources.limits.ephemeral-storage is missing',
      'Deployment/worker: spec.template.spec.containers[0].startupProbe is missing',
      'Deployment/worker: spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem must be true',
      'Deployment/worker: spec.template.spec.automountServiceAccountToken must be false (the app does not call the Kubernetes API)',
    ]);
  });

  it('catches a literal password and an untagged image', () => {
    const objs = clone(rendered.prod);
    const c = deep(find(objs, 'Deployment', 'api')).spec.template.spec.containers[0];
    c.env.push({ name: 'PGPASSWORD_FALLBACK', value: 'hunter2' });
    c.image = 'asd-lab/api';
    const problems = containerProblems(objs);
    expect(problems).toContain(
      'Deployment/api: spec.template.spec.containers[0].image "asd-lab/api" has neither a tag nor a digest (set one per overlay with kustomize images:)',
    );
    expect(problems.some((p) => p.includes('PGPASSWORD_FALLBACK has a literal value'))).toBe(true);
  });

  it('database credentials come from the Secret asd-db, which is never rendered', () => {
    for (const o of OVERLAYS) {
      expect(rendered[o].filter((x) => x.kind === 'Secret')).toEqual([]);
      for (const t of podTemplates(rendered[o])) {
        const env = (t.spec.containers as { env: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[] }[])[0]!.env;
        expect(env.find((e) => e.name === 'PGPASSWORD')?.valueFrom?.secretKeyRef?.name).toBe('asd-db');
      }
    }
    const objs = clone(rendered.prod);
    objs.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'asd-db', namespace: 'asd-prod' },
      stringData: { PGPASSWORD: 'x' },
    });
    expect(namespaceProblems(objs, 'asd-prod')).toEqual([
      'Secret/asd-db: a Secret is rendered from the repository; credentials must come from the deploy step',
    ]);
  });

  it('catches an unsafe rollout, a Deployment without PodDisruptionBudget and replicas fighting the HPA', () => {
    const objs = clone(rendered.prod).filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'worker'));
    const api = deep(find(objs, 'Deployment', 'api'));
    api.spec.strategy.rollingUpdate = { maxUnavailable: '25%', maxSurge: '25%' };
    api.spec.replicas = 3;
    expect(deploymentProblems(objs)).toEqual([
      'Deployment/api: spec.strategy.rollingUpdate.maxUnavailable must be 0 (got "25%")',
      'Deployment/api: spec.strategy.rollingUpdate.maxSurge must be 1 (got "25%")',
      'Deployment/api: spec.replicas is set although HorizontalPodAutoscaler/api scales it (each apply would reset the count)',
      'Deployment/worker: no PodDisruptionBudget selects its pods',
    ]);
  });

  it('catches a PodDisruptionBudget that selects nothing and an HPA aimed at nothing', () => {
    const objs = clone(rendered.prod);
    deep(find(objs, 'PodDisruptionBudget', 'worker')).spec.selector.matchLabels['app.kubernetes.io/name'] = 'wroker';
    deep(find(objs, 'HorizontalPodAutoscaler', 'api')).spec.scaleTargetRef.name = 'apii';
    expect(deploymentProblems(objs)).toEqual([
      'Deployment/worker: no PodDisruptionBudget selects its pods',
      'HorizontalPodAutoscaler/api: spec.scaleTargetRef Deployment/apii does not exist',
      "PodDisruptionBudget/worker: selects no Deployment's pods",
    ]);
  });

  it('catches a claim without storage class and a pod using a claim that is not rendered', () => {
    const objs = clone(rendered.prod);
    delete deep(find(objs, 'PersistentVolumeClaim', 'worker-data')).spec.storageClassName;
    deep(find(objs, 'Deployment', 'worker')).spec.template.spec.volumes[1].persistentVolumeClaim.claimName = 'other';
    expect(storageProblems(objs)).toEqual([
      'PersistentVolumeClaim/worker-data: spec.storageClassName must be set explicitly by the overlay',
      'Deployment/worker: spec.template.spec.volumes[1] uses PersistentVolumeClaim "other", which is not rendered',
    ]);
  });
});

describe('network policies: default deny plus exactly the flows the application needs', () => {
  const EXPECTED_FLOWS = [
    'egress pods{app.kubernetes.io/name In (api,worker)} TCP/53 to namespaces{kubernetes.io/metadata.name=kube-system} pods{k8s-app=kube-dns}',
    'egress pods{app.kubernetes.io/name In (api,worker)} TCP/5432 to ipBlock 192.0.2.10/32',
    'egress pods{app.kubernetes.io/name In (api,worker)} UDP/53 to namespaces{kubernetes.io/metadata.name=kube-system} pods{k8s-app=kube-dns}',
    'ingress pods{app.kubernetes.io/name=api} TCP/8080 from namespaces{kubernetes.io/metadata.name=kube-system} pods{app.kubernetes.io/name=traefik}',
    'ingress pods{app.kubernetes.io/name=api} TCP/8080 from namespaces{kubernetes.io/metadata.name=monitoring} pods{app.kubernetes.io/name=prometheus}',
    'ingress pods{app.kubernetes.io/name=worker} TCP/9091 from namespaces{kubernetes.io/metadata.name=monitoring} pods{app.kubernetes.io/name=prometheus}',
  ];

  it.each(OVERLAYS)('%s allows exactly the expected flows', (o) => {
    expect(networkFlows(rendered[o])).toEqual({ flows: EXPECTED_FLOWS, problems: [] });
  });

  it('catches a missing default deny and a rule open to every peer', () => {
    const objs = clone(rendered.prod).filter((o) => o.metadata.name !== 'default-deny');
    delete deep(find(objs, 'NetworkPolicy', 'allow-api-from-ingress')).spec.ingress[0].from;
    const { flows, problems } = networkFlows(objs);
    expect(problems).toEqual([
      'no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)',
      'NetworkPolicy/allow-api-from-ingress: spec.ingress[0] allows every peer',
    ]);
    expect(flows).toContain('ingress pods{app.kubernetes.io/name=api} TCP/8080 from anywhere');
  });

  it('the PostgreSQL address is a non-routable placeholder in one place, copied into the egress policy', () => {
    for (const o of OVERLAYS) {
      expect(deep(find(rendered[o], 'EndpointSlice', 'postgres-1')).endpoints[0].addresses).toEqual(['192.0.2.10']);
      expect(externalServiceProblems(rendered[o])).toEqual([]);
    }
    const objs = clone(rendered.prod);
    deep(find(objs, 'EndpointSlice', 'postgres-1')).endpoints[0].addresses = ['10.98.1.12'];
    expect(externalServiceProblems(objs)).toEqual([
      'EndpointSlice/postgres-1: no egress NetworkPolicy allows 10.98.1.12/32 on port 5432',
    ]);
  });
});

describe('parity: preprod and prod differ only in replicas, resources and host names', () => {
  it('the committed overlays comply, and do differ where allowed', () => {
    const diffs = compareEnvironments(rendered.preprod, OVERLAY_NAMESPACE.preprod, rendered.prod, OVERLAY_NAMESPACE.prod);
    expect(parityViolations(diffs).map((d) => formatDifference(d))).toEqual([]);
    expect(new Set(diffs.map((d) => d.allowedAs))).toEqual(
      new Set(['replicas', 'resources', 'resources (volume size)', 'host names']),
    );
  });

  describe('on a temporary copy of the tree with an illegal change in the prod overlay', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'asd-k8s-parity-'));
      cpSync(K8S_DIR, join(dir, 'k8s'), { recursive: true });
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const renderChangedProd = async (edit: (kustomization: string) => string, extraFile?: [string, string]) => {
      const prodDir = join(dir, 'k8s/overlays/prod');
      const file = join(prodDir, 'kustomization.yaml');
      const original = readFileSync(join(overlayDir('prod'), 'kustomization.yaml'), 'utf8');
      writeFileSync(file, edit(original));
      if (extraFile) writeFileSync(join(prodDir, extraFile[0]), extraFile[1]);
      return renderKustomize(prodDir);
    };

    it('a different image tag is reported with its path', async () => {
      const prod = await renderChangedProd((k) => k.replace(/(name: asd-lab\/app\n\s+newName: \S+\n\s+newTag: )v1/, '$1v2'));
      const bad = parityViolations(compareEnvironments(rendered.preprod, 'asd-preprod', prod, 'asd-prod')).map((d) =>
        formatDifference(d),
      );
      expect(bad).toEqual([
        'apps/v1 Deployment/api: spec.template.spec.containers[name=api].image: "localhost/asd-lab/app:v1" (preprod) != "localhost/asd-lab/app:v2" (prod)',
        'apps/v1 Deployment/worker: spec.template.spec.containers[name=worker].image: "localhost/asd-lab/app:v1" (preprod) != "localhost/asd-lab/app:v2" (prod)',
      ]);
    });

    it('a different probe and a prod-only object are reported', async () => {
      const probePatch = [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: worker',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: worker',
        '          readinessProbe:',
        '            periodSeconds: 30',
        '',
      ].join('\n');
      const extraCm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prod-only\ndata:\n  a: b\n';
      writeFileSync(join(dir, 'k8s/overlays/prod/extra.yaml'), extraCm);
      const prod = await renderChangedProd(
        (k) =>
          k
            .replace('  - path: storage.yaml\n', '  - path: storage.yaml\n  - path: probe.yaml\n')
            .replace('  - ../../base\n', '  - ../../base\n  - extra.yaml\n'),
        ['probe.yaml', probePatch],
      );
      const bad = parityViolations(compareEnvironments(rendered.preprod, 'asd-preprod', prod, 'asd-prod')).map((d) =>
        formatDifference(d),
      );
      expect(bad).toEqual([
        'apps/v1 Deployment/worker: spec.template.spec.containers[name=worker].readinessProbe.periodSeconds: 10 (preprod) != 30 (prod)',
        'v1 ConfigMap/prod-only: "absent" (preprod) != "present" (prod)',
      ]);
    }, 30_000);

    it('a legal change (more replicas in prod) is not reported', async () => {
      const prod = await renderChangedProd((k) => `${k}replicas:\n  - name: worker\n    count: 3\n`);
      expect(deep(find(prod, 'Deployment', 'worker')).spec.replicas).toBe(3);
      const diffs = compareEnvironments(rendered.preprod, 'asd-preprod', prod, 'asd-prod');
      expect(parityViolations(diffs)).toEqual([]);
      expect(diffs.some((d) => d.path === 'spec.replicas' && d.allowedAs === 'replicas')).toBe(true);
    });
  });
});

describe("retarget: one candidate's namespace, host and database address", () => {
  it('produces a set that passes every check, without touching the input', async () => {
    const before = JSON.stringify(rendered.prod);
    const objs = retarget(rendered.prod, {
      namespace: 'alice-prod',
      host: 'api.alice.asd-2027.asd-lab.internal',
      postgresAddress: '10.98.1.12',
    });
    expect(JSON.stringify(rendered.prod)).toBe(before);
    expect(labPolicyProblems(objs, 'alice-prod')).toEqual([]);
    expect(restrictedViolations(objs)).toEqual([]);
    expect(await validateSchemas(objs)).toEqual([]);
    expect(networkFlows(objs).flows).toContain(
      'egress pods{app.kubernetes.io/name In (api,worker)} TCP/5432 to ipBlock 10.98.1.12/32',
    );
    expect(deep(find(objs, 'Ingress', 'api')).spec.rules[0].host).toBe('api.alice.asd-2027.asd-lab.internal');
    // Same target twice gives the same result (idempotent).
    expect(retarget(objs, { namespace: 'alice-prod', postgresAddress: '10.98.1.12' })).toEqual(objs);
  }, 60_000);

  it('refuses bad input with every problem at once', () => {
    let err: unknown;
    try {
      retarget(rendered.prod, { namespace: 'Alice_Prod', host: 'localhost', postgresAddress: '10.98.1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RetargetError);
    expect((err as RetargetError).problems).toHaveLength(3);
  });
});
