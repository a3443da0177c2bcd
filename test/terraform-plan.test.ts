// Real Terraform, offline: the synthesized stacks of a 3-candidate cohort are validated and planned by
// terraform itself against the provider mirror (/opt/tf-plugins). No skip: without terraform or the
// mirror these tests FAIL, with the message that names what is missing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRICES, HOURS_PER_MONTH, PUBLIC_IPV4_HOUR } from '../src/targets/aws/pricing.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import {
  initStack,
  planStack,
  planStacks,
  prepareTerraform,
  summarizePlan,
  validateStack,
  type StackPlan,
  type Terraform,
} from '../src/targets/aws/terraform/index.ts';
import { synthCohort, type StackInfo } from '../stacks/index.ts';
import { NOW } from './helpers.ts';

const YAML = `cohort: t3st
target: aws
expires: 2027-06-30
admin:
  cidrs: [203.0.113.0/24]
  sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFQ3c7NpdaumveFUGZzVBX8oC71QhHqiOOcG3f01Fv+c trainer@asd-lab"]
candidates:
  - { id: alice, sshKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICuLpKInuo6VF4RlwyLoS+Lg5GNQj3w38bDzsLWz3jhc alice@asd-lab" }
  - { id: bruno, sshKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAa8sJXno/Di+FUx4Vi9Racsw8Cb8wwwraQVNI2lCrB+ bruno@asd-lab" }
  - { id: chloe, sshKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKDYNYc5ZldPDkH1T/rofeX6gGfZF3x/1lL/z7r0Svgf chloe@asd-lab" }
`;

/**
 * Planned resources per stack, counted by hand from the constructs:
 * network = VPC 1, default SG 1, subnets 4, IGW 1, EIP 1, NAT 1, route tables 2, routes 2, associations 4,
 *   S3 endpoint 1, flow logs 4 (group, role, policy, flow log), bucket 6 (bucket, public access block,
 *   versioning, encryption, lifecycle, policy), bastion 4 (SG, 1 SSH rule per admin CIDR, egress, instance),
 *   expiry 3 (scheduler role, its policy, the bastion's schedule) = 35 (no budget: this cohort has no admin.email)
 * candidate = key pair 1, SGs 4 (app, db, mon, k8s), egress 4, ingress 39 (one rule per source of each flow
 *   of src/core/flows.ts into these roles: test/flows.test.ts checks them against the nftables rules),
 *   IAM 3 (role, policy, profile), instances 5 (app, db1, db2, mon, k8s), data volumes 2 + attachments 2,
 *   expiry schedule 1 = 61
 */
const EXPECTED = { network: 35, candidate: 61 };

let root: string;
let tf: Terraform;
let stacks: StackInfo[];
const cohort = parseCohort(YAML, 'test.yaml', { now: NOW });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'asd-tfplan-'));
  stacks = synthCohort(cohort, join(root, 'cdktf.out'), { stateDir: join(root, 'state') });
  // Fails (does not skip) when terraform or the mirror is missing, naming it and the fix.
  tf = await prepareTerraform({ offline: true, workDir: join(root, 'work'), pluginCacheDir: join(root, 'plugin-cache') });
}, 120_000);
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const PLAN_ONLY = { plan_only: 'true' };
let plans: StackPlan[];

describe('terraform on the synthesized stacks (offline, real)', () => {
  it('terraform init and validate accept every stack', async () => {
    await initStack(tf, stacks[0]!);
    await Promise.all(stacks.slice(1).map((s) => initStack(tf, s)));
    for (const s of stacks) {
      const v = await validateStack(tf, s);
      expect(v.diagnostics, s.name).toEqual([]); // no error, and no warning either
      expect(v.valid, s.name).toBe(true);
    }
  }, 300_000);

  it('terraform plan of the 4 stacks: the expected resources per stack, grouped by candidate', async () => {
    const t0 = performance.now();
    plans = await planStacks(tf, stacks, { vars: PLAN_ONLY, concurrency: 2 });
    const seconds = (performance.now() - t0) / 1000;
    expect(plans.map((p) => [p.stack.name, p.add, p.change, p.destroy])).toEqual([
      ['t3st-network', EXPECTED.network, 0, 0],
      ['t3st-cand-alice', EXPECTED.candidate, 0, 0],
      ['t3st-cand-bruno', EXPECTED.candidate, 0, 0],
      ['t3st-cand-chloe', EXPECTED.candidate, 0, 0],
    ]);
    expect(plans[0]!.shared).toHaveLength(EXPECTED.network);
    for (const p of plans.slice(1)) {
      expect(Object.keys(p.byCandidate)).toEqual([p.stack.candidate]);
      expect(p.byCandidate[p.stack.candidate!]).toHaveLength(EXPECTED.candidate);
      expect(p.shared).toEqual([]);
    }
    expect(seconds).toBeLessThan(240);
  }, 300_000);

  it('every planned resource that takes tags (per the provider schema) carries cohort and expires', async () => {
    const schema = await execa(tf.bin, ['providers', 'schema', '-json'], {
      cwd: stacks[1]!.dir,
      env: tf.env,
      extendEnv: false,
      maxBuffer: 256 * 1024 * 1024,
    });
    const types = (
      JSON.parse(schema.stdout) as {
        provider_schemas: Record<
          string,
          { resource_schemas: Record<string, { block: { attributes: Record<string, unknown> } }> }
        >;
      }
    ).provider_schemas['registry.terraform.io/hashicorp/aws']!.resource_schemas;
    let checked = 0;
    for (const p of plans) {
      expect(p.missingTags, p.stack.name).toEqual([]);
      for (const r of p.resources) {
        if (!('tags' in types[r.type]!.block.attributes)) continue;
        checked++;
        expect(r.values.tags_all, r.address).toMatchObject({ cohort: 't3st', expires: '2027-06-30' });
      }
    }
    expect(checked).toBeGreaterThan(100);
  }, 120_000);

  it('as planned: IMDSv2 required, root volumes encrypted, placeholders for the unapplied network', () => {
    for (const p of plans) {
      for (const r of p.resources.filter((x) => x.type === 'aws_instance')) {
        expect((r.values.metadata_options as Record<string, unknown>[])[0], r.address).toMatchObject({ http_tokens: 'required' });
        expect((r.values.root_block_device as Record<string, unknown>[])[0], r.address).toMatchObject({
          encrypted: true,
          volume_type: 'gp3',
        });
        expect(r.values.ami).toBe('ami-unpinned-debian-12-amd64');
      }
    }
    const alice = plans[1]!;
    expect(alice.outputs.network_applied).toBe(false);
    expect(alice.resources.find((r) => r.type === 'aws_security_group')!.values.vpc_id).toBe('pending-network-apply-vpc');
  });

  it('without plan_only the candidate stack refuses to plan on placeholders (the apply guard)', async () => {
    const alice = stacks[1]!;
    await expect(planStack(tf, alice, { vars: { debian_ami_id: 'ami-0123456789abcdef0' } })).rejects.toThrow(
      /network stack t3st-network is not applied/,
    );
    await expect(planStack(tf, alice, { vars: { ...PLAN_ONLY, debian_ami_id: 'ami-0123456789abcdef0' } })).resolves.toBeDefined();
  }, 120_000);

  it('once the network state exists, candidate stacks read its real outputs and the guard lets them through', async () => {
    // Stand-in for an applied network stack: a real Terraform state at the network's path, holding
    // outputs of the same names (values are test data; applying it needs no provider).
    const stub = join(root, 'network-outputs');
    mkdirSync(stub, { recursive: true });
    const out = (value: unknown) => ({ value });
    writeFileSync(
      join(stub, 'main.tf.json'),
      JSON.stringify({
        terraform: { backend: { local: { path: join(root, 'state', 't3st-network', 'terraform.tfstate') } } },
        output: {
          network_applied: out(true),
          vpc_id: out('vpc-0aaaabbbbccccdddd'),
          public_subnet_ids: out(['subnet-0pub0000000000000a', 'subnet-0pub0000000000000b']),
          private_subnet_ids: out(['subnet-0prv0000000000000a', 'subnet-0prv0000000000000b']),
          bastion_security_group_id: out('sg-0bastion000000000'),
          backup_bucket: out('asd-lab-t3st-20270101'),
          backup_bucket_arn: out('arn:aws:s3:::asd-lab-t3st-20270101'),
        },
      }),
    );
    const ref = { name: 'network-outputs', kind: 'test', dir: stub };
    await initStack({ ...tf, offline: false }, ref);
    await execa(tf.bin, ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: stub, env: tf.env, extendEnv: false });

    const alice = stacks[1]!;
    // The network guard passes now; the AMI guard still refuses an unpinned image.
    await expect(planStack(tf, alice, { vars: {} })).rejects.toThrow(/No Debian 12 AMI for eu-west-3: none pinned/);
    const plan = summarizePlan(alice, await planStack(tf, alice, { vars: { debian_ami_id: 'ami-0123456789abcdef0' } }));
    expect(plan.add).toBe(EXPECTED.candidate);
    expect(plan.outputs.network_applied).toBe(true);
    expect(plan.resources.find((r) => r.type === 'aws_security_group')!.values.vpc_id).toBe('vpc-0aaaabbbbccccdddd');
    const subnets = new Set(plan.resources.filter((r) => r.type === 'aws_instance').map((r) => r.values.subnet_id));
    expect(subnets).toEqual(new Set(['subnet-0prv0000000000000a', 'subnet-0prv0000000000000b']));
    const policy = plan.resources.find((r) => r.type === 'aws_iam_role_policy')!.values.policy as string;
    expect(JSON.parse(policy).Statement[1].Resource).toBe('arn:aws:s3:::asd-lab-t3st-20270101/alice/*');
    rmSync(join(root, 'state', 't3st-network'), { recursive: true, force: true });
  }, 120_000);

  it('missing terraform or mirror: a clear error naming it and the fix', async () => {
    await expect(
      prepareTerraform({ offline: true, mirrorDir: join(root, 'no-mirror'), workDir: join(root, 'w2') }),
    ).rejects.toThrow(/--offline needs the provider mirror .*no-mirror.*terraform providers mirror/s);
    await expect(prepareTerraform({ terraformBin: join(root, 'no-terraform') })).rejects.toThrow(
      /Terraform not found .*no-terraform.*install Terraform/s,
    );
  });
});

describe('asd-lab plan --offline --json (CLI) inside a network namespace without any network', () => {
  it('plans every stack with no network at all, and prices each candidate-hour with the shared split', async () => {
    const dir = join(root, 'cli');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cohort.yaml'), YAML);
    // unshare -rn: a fresh network namespace with only a down loopback. Any AWS call would fail the plan.
    const r = await execa(
      'unshare',
      [
        '-rn',
        process.execPath,
        resolve(REPO_ROOT, 'bin/asd-lab.js'),
        'plan',
        '--offline',
        '--json',
        '-c',
        'cohort.yaml',
        '-o',
        'out',
        '--state-dir',
        'state',
      ],
      {
        cwd: dir,
        reject: false,
        env: { LANG: 'C.UTF-8', TF_PLUGIN_CACHE_DIR: join(root, 'plugin-cache') },
      },
    );
    expect(r.stderr).toContain('terraform plan t3st-cand-chloe');
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      offline: boolean;
      networkApplied: boolean;
      amiPinned: boolean;
      stacks: { name: string; add: number; change: number; destroy: number }[];
      candidates: {
        candidate: string;
        add: number;
        costPerCandidateHour: number;
        ownCostPerHour: number;
        sharedCostShare: number;
      }[];
      costSplit: { sharedCostPerHour: number; candidates: number };
    };
    expect(report).toMatchObject({ offline: true, networkApplied: false, amiPinned: false });
    expect(report.stacks.map((s) => [s.name, s.add, s.change, s.destroy])).toEqual([
      ['t3st-network', EXPECTED.network, 0, 0],
      ['t3st-cand-alice', EXPECTED.candidate, 0, 0],
      ['t3st-cand-bruno', EXPECTED.candidate, 0, 0],
      ['t3st-cand-chloe', EXPECTED.candidate, 0, 0],
    ]);
    // Expected costs from the price table: shared = NAT + its IPv4 + bastion (t3.nano, 8 GiB, public IPv4).
    const p = PRICES['eu-west-3']!;
    const gib = (n: number) => (n * p.gp3GiBMonth) / HOURS_PER_MONTH;
    const shared = p.natGatewayHour + PUBLIC_IPV4_HOUR + p.instances['t3.nano']! + gib(8) + PUBLIC_IPV4_HOUR;
    const own = 4 * p.instances['t3.small']! + p.instances['t3.medium']! + gib(4 * 10 + 20) + gib(2 * 10);
    expect(report.costSplit).toMatchObject({ candidates: 3 });
    expect(report.costSplit.sharedCostPerHour).toBeCloseTo(shared, 5);
    for (const c of report.candidates) {
      expect(c.ownCostPerHour).toBeCloseTo(own, 5);
      expect(c.sharedCostShare).toBeCloseTo(shared / 3, 5);
      expect(c.costPerCandidateHour).toBeCloseTo(own + shared / 3, 5);
    }
  }, 300_000);
});
