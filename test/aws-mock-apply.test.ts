// `terraform test` with the AWS provider MOCKED (mock_provider "aws"): Terraform applies the real
// synthesized network stack, then a candidate stack that reads the network's outputs from a local
// state file as on a real `up`, and the Ansible inventory is built from those outputs.
//
// THE AWS API IS MOCKED HERE. Proven: the Terraform configuration applies (expressions, counts,
// preconditions and postconditions, the cross-stack local state, outputs), with the values the mocks
// give, and the inventory builder reads the outputs' real shape. NOT proven: that AWS accepts these
// resources (quotas, permissions, names, IAM propagation, Learner Lab's policy), that the Debian AMI
// lookup finds an image, that instances boot and cloud-init runs, that the budget and the schedule
// fire. docs/aws.md, "What was run against AWS", lists it line by line.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Cohort } from '../src/core/model/cohort.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { buildInventory, renderInventory } from '../src/lifecycle/inventory.ts';
import { awsLabHosts, awsLabServers } from '../src/targets/aws/inventory.ts';
import {
  initForTest,
  mapLimit,
  MOCK_ACCOUNT,
  mockApply,
  prepareTerraform,
  writeOutputsState,
  type MockApplyResult,
  type Terraform,
  type TfOutputs,
} from '../src/targets/aws/terraform/index.ts';
import { writeJumpConfig } from '../src/tools/jump-ssh.ts';
import { recordedHostKeys } from '../src/tools/known-hosts.ts';
import { awsBundles } from '../src/lifecycle/access.ts';
import { renderCardHtml, renderKnownHosts, renderLaptopInventory, renderSshConfig } from '../src/evidence/access-card.ts';
import { K3S_FIREWALL_VARS } from '../src/targets/aws/inventory.ts';
import { writeWipeStack } from '../src/targets/aws/wipe.ts';
import { synthCohort, type StackInfo } from '../stacks/index.ts';
import { NOW } from './helpers.ts';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const AMI = 'ami-0a1b2c3d4e5f60718';
const BASTION = { private_ip: '10.100.0.10', public_ip: '198.51.100.10' };

const example = readFileSync(join(REPO_ROOT, 'examples/cohort.yaml'), 'utf8');
const twelve = parseCohort(example, 'examples/cohort.yaml', { now: NOW });
const first = (c: Cohort, n: number): Cohort => ({ ...c, candidates: c.candidates.slice(0, n) });

let root: string;
let tf: Terraform;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'asd-mock-apply-'));
  // Offline: every AWS_* variable removed, the metadata endpoint disabled, the provider from the mirror.
  tf = await prepareTerraform({ offline: true, workDir: join(root, 'work'), pluginCacheDir: join(root, 'plugins') });
}, 120_000);
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Deterministic private addresses of candidate ci's servers. */
const addressOf = (ci: number, si: number) => `10.100.${128 + ci}.${10 + si}`;

interface Chain {
  stacks: StackInfo[];
  network: MockApplyResult;
  candidates: Map<string, MockApplyResult>;
  seconds: { network: number; candidates: number; total: number };
}

/** Synthesize, mock-apply the network, record its outputs as its state, mock-apply every candidate stack. */
async function chain(cohort: Cohort, name: string, extra: { concurrency?: number } = {}): Promise<Chain> {
  const dir = join(root, name);
  const stateDir = join(dir, 'state');
  mkdirSync(dir, { recursive: true });
  const stacks = synthCohort(cohort, join(dir, 'cdktf.out'), { stateDir });
  const t0 = performance.now();
  const net = stacks[0]!;
  await initForTest(tf, net);
  const bastion: Record<string, Record<string, unknown>> = cohort.aws.bastion === 'per-cohort'
    ? { 'aws_instance.bastion_server_instance': BASTION }
    : {};
  const network = await mockApply(tf, net, {
    region: cohort.aws.region,
    amiId: AMI,
    overrides: bastion,
    asserts: [
      { condition: 'output.network_applied == true', message: 'the network outputs network_applied = true' },
      { condition: `output.cohort_ami_id == "${AMI}"`, message: 'the looked-up AMI is the cohort AMI' },
      {
        condition: 'aws_scheduler_schedule.expiry_schedule.schedule_expression == "at(2027-07-01T00:00:00)"',
        message: 'the bastion stops the day after expires',
      },
    ],
  });
  const tNet = performance.now();
  const netState = join(stateDir, net.name, 'terraform.tfstate');
  mkdirSync(dirname(netState), { recursive: true });
  writeOutputsState(netState, network.outputs, tf.version);
  const roleArn = network.outputs.scheduler_role_arn?.value as string;
  const candidates = new Map<string, MockApplyResult>();
  const cands = stacks.filter((s) => s.kind === 'candidate');
  const settled = await mapLimit(cands, extra.concurrency ?? 2, async (s, ci) => {
    await initForTest(tf, s);
    const servers = Object.keys(
      (JSON.parse(readFileSync(join(s.dir, 'cdk.tf.json'), 'utf8')) as { resource: { aws_instance: Record<string, unknown> } })
        .resource.aws_instance,
    );
    const r = await mockApply(tf, s, {
      region: cohort.aws.region,
      overrides: Object.fromEntries(
        servers.map((addr, si) => [`aws_instance.${addr}`, { private_ip: addressOf(ci, si), public_ip: '' }]),
      ),
      asserts: [
        { condition: 'output.network_applied == true', message: "the candidate read the network's state" },
        { condition: `length(output.hosts) == ${servers.length}`, message: 'one host per server' },
        {
          condition: `alltrue([for i in [${servers.map((a) => `aws_instance.${a}`).join(', ')}] : i.ami == "${AMI}"])`,
          message: 'every server boots the cohort AMI',
        },
        {
          condition: `aws_scheduler_schedule.expiry_schedule.target[0].role_arn == "${roleArn}"`,
          message: "the schedule assumes the network's role",
        },
        {
          condition: `length(jsondecode(aws_scheduler_schedule.expiry_schedule.target[0].input).InstanceIds) == ${servers.length}`,
          message: 'the schedule stops every server',
        },
      ],
    });
    candidates.set(s.candidate!, r);
  });
  for (const x of settled) if (x.status === 'rejected') throw x.reason;
  const end = performance.now();
  return {
    stacks,
    network,
    candidates,
    seconds: { network: (tNet - t0) / 1000, candidates: (end - tNet) / 1000, total: (end - t0) / 1000 },
  };
}

const failures = (r: MockApplyResult) =>
  r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.summary}: ${d.detail ?? ''}`);

describe('mocked apply (AWS API mocked): network stack, then one candidate stack, then the inventory', () => {
  const cohort = first(twelve, 1);
  let c: Chain;
  beforeAll(async () => {
    c = await chain(cohort, 'one');
    console.log(
      `mocked apply, 1 candidate: network ${c.seconds.network.toFixed(1)} s, candidate ${c.seconds.candidates.toFixed(1)} s, total ${c.seconds.total.toFixed(1)} s`,
    );
  }, 300_000);

  it('terraform test passes on the network stack: bastion, looked-up AMI, budget, expiry schedule', () => {
    expect(failures(c.network)).toEqual([]);
    expect(c.network.status).toBe('pass');
    expect(c.network.outputs.bastion_public_ip?.value).toBe(BASTION.public_ip);
    expect(c.network.resources).toEqual(
      expect.arrayContaining([
        'data.aws_ami.debian[0]',
        'data.aws_ec2_instance_type_offerings.lab_types[0]',
        'aws_budgets_budget.cost_budget',
        'aws_iam_role.expiry-role_role',
      ]),
    );
  });

  it('terraform test passes on the candidate stack, which read the network outputs from its state file', () => {
    const r = c.candidates.get('alice')!;
    expect(failures(r)).toEqual([]);
    expect(r.status).toBe('pass');
    expect(r.outputs.network_applied?.value).toBe(true);
    expect(r.resources).toContain('data.terraform_remote_state.network_state[0]');
  });

  it('the inventory built from those outputs: the bastion without a candidate, every server through it', () => {
    const outputs = new Map<string, TfOutputs>([['alice', c.candidates.get('alice')!.outputs]]);
    const lab = awsLabHosts(cohort, c.network.outputs, outputs);
    expect(lab.missing).toEqual([]);
    expect(lab.hosts.map((h) => `${h.candidate}/${h.server}@${h.address}`).sort()).toEqual([
      '/bastion@10.100.0.10',
      'alice/app@10.100.128.10',
      'alice/db1@10.100.128.11',
      'alice/db2@10.100.128.12',
      'alice/k8s@10.100.128.13',
      'alice/mon@10.100.128.14',
    ]);
    const cfg = join(root, 'one', 'ssh_config');
    const { sshCommonArgs } = writeJumpConfig(cfg, {
      host: BASTION.public_ip,
      port: 22,
      user: 'asd-admin',
      keyPath: '/keys/lab',
      knownHostsFile: join(root, 'one', 'known_hosts'),
      strictHostKeys: 'accept-new',
    });
    const inv = buildInventory(cohort, lab.hosts, { keyPath: '/keys/lab', pkiDir: '/pki', sshCommonArgs }) as any;
    const vars = inv.all.vars;
    expect(vars.ansible_ssh_common_args).toBe(`-F ${cfg} -o ProxyJump=asd-lab-jump`);
    expect(readFileSync(cfg, 'utf8')).toMatch(
      /Host asd-lab-jump\n  HostName 198\.51\.100\.10\n  Port 22\n  User asd-admin\n  IdentityFile \/keys\/lab/,
    );
    expect(inv.all.hosts.bastion).toMatchObject({
      ansible_host: BASTION.public_ip,
      lab_candidate: '',
      lab_role: 'gateway',
      lab_jump_accounts: [{ user: 'alice', key: cohort.candidates[0]!.sshKey }],
    });
    expect(inv.all.hosts['alice-db1']).toMatchObject({
      ansible_host: '10.100.128.11',
      lab_bastion_cidrs: ['10.100.0.10/32'],
      lab_role: 'db',
    });
    expect(Object.keys(inv.all.children.candidate_alice.hosts).sort()).toEqual([
      'alice-app',
      'alice-db1',
      'alice-db2',
      'alice-k8s',
      'alice-mon',
    ]);
    expect(Object.keys(inv.all.children.gateway.hosts)).toEqual(['bastion']);
    // The checks reach the private servers through the bastion.
    const servers = awsLabServers(cohort, lab, { keyPath: '/keys/lab' }).get('alice')!;
    expect(servers.find((s) => s.name === 'db1')).toMatchObject({
      address: '10.100.128.11',
      jump: { host: BASTION.public_ip, port: 22, user: 'asd-admin' },
    });
  });

  it('Ansible reads that inventory (ansible-inventory, no connection made)', async () => {
    const lab = awsLabHosts(cohort, c.network.outputs, new Map([['alice', c.candidates.get('alice')!.outputs]]));
    const file = join(root, 'one', 'inventory.yml');
    writeFileSync(file, renderInventory(buildInventory(cohort, lab.hosts, { keyPath: '/keys/lab', pkiDir: '/pki' })));
    const r = await execa('ansible-inventory', ['-i', file, '--list'], { reject: false, cwd: join(REPO_ROOT, 'ansible') });
    expect(r.exitCode, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as {
      _meta: { hostvars: Record<string, { ansible_host: string }> };
      k8s: { hosts: string[] };
    };
    expect(list._meta.hostvars['alice-k8s']!.ansible_host).toBe('10.100.128.13');
    expect(list.k8s.hosts).toEqual(['alice-k8s']);
  });
});

describe('access on AWS, from the outputs of the mocked apply (AWS API mocked)', () => {
  const cohort = first(twelve, 2);
  let lab: ReturnType<typeof awsLabHosts>;
  let knownHosts = '';
  const dir = () => join(root, 'access');
  beforeAll(async () => {
    // One candidate stack applied (alice); bruno's has no outputs, as if its apply failed.
    const c = await chain(first(twelve, 1), 'access');
    lab = awsLabHosts(cohort, c.network.outputs, new Map([['alice', c.candidates.get('alice')!.outputs]]));
    mkdirSync(dir(), { recursive: true });
    // The controller's known_hosts as its ssh wrote it through the bastion (accept-new): the bastion,
    // app and db1 seen; db1's entry hashed (HashKnownHosts), as ssh-keygen -H writes it. The others unseen.
    const kh = join(dir(), 'known_hosts');
    writeFileSync(
      kh,
      [
        `${BASTION.public_ip} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBastionKeyBastionKeyBastionKeyBastionKe0`,
        `${BASTION.public_ip} ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYBastion=`,
        '10.100.128.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAppKeyAppKeyAppKeyAppKeyAppKeyAppKeyAp0',
        '10.100.128.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDb1KeyDb1KeyDb1KeyDb1KeyDb1KeyDb1KeyDb0',
        '',
      ].join('\n'),
    );
    const hash = await execa('ssh-keygen', ['-H', '-f', kh], { reject: false });
    expect(hash.exitCode, hash.stderr).toBe(0);
    knownHosts = readFileSync(kh, 'utf8');
    expect(knownHosts).not.toContain('10.100.128.11');
  }, 300_000);

  it('reads hashed and plain known_hosts entries for a host', () => {
    expect(recordedHostKeys(knownHosts, '10.100.128.11')).toEqual([
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDb1KeyDb1KeyDb1KeyDb1KeyDb1KeyDb1KeyDb0',
    ]);
    expect(recordedHostKeys(knownHosts, BASTION.public_ip)).toHaveLength(2);
    expect(recordedHostKeys(knownHosts, '10.100.128.12')).toEqual([]);
    expect(recordedHostKeys('[10.0.0.1]:2222 ssh-ed25519 AAAAx\n10.0.0.1 ssh-rsa AAAAy\n', '10.0.0.1', 2222)).toEqual([
      'ssh-ed25519 AAAAx',
    ]);
  });

  it("a candidate's files: through the cohort's bastion as their jump-only account, keys pinned where recorded, TOFU where not", async () => {
    const { list, refused } = awsBundles(cohort, lab, knownHosts, { all: true, lang: 'en' });
    expect(refused.map((r) => r.candidate)).toEqual(['bruno']);
    expect(refused[0]!.reason).toMatch(/no Terraform outputs/);
    const b = list[0]!;
    expect(b.jump).toMatchObject({ host: BASTION.public_ip, port: 22, user: 'alice' });
    expect(b.jump.fingerprint).toMatch(/^SHA256:/);
    expect(b.servers.map((s) => `${s.alias}@${s.address}:${s.user}:${s.hostKeys.length}`).sort()).toEqual([
      'app@10.100.128.10:alice:1',
      'db1@10.100.128.11:alice:1',
      'db2@10.100.128.12:alice:0',
      'k8s@10.100.128.13:alice:0',
      'mon@10.100.128.14:alice:0',
    ]);
    const cfg = join(dir(), 'ssh_config');
    writeFileSync(cfg, renderSshConfig(b));
    const g = async (host: string) => (await execa('ssh', ['-G', '-F', cfg, host])).stdout;
    expect(await g('db1')).toMatch(/^proxyjump jump$/m);
    expect(await g('db1')).toMatch(/^stricthostkeychecking true$/m);
    expect(await g('db1')).toMatch(/^hostname 10\.100\.128\.11$/m);
    // Unknown keys: trusted on first use for that Host only, then pinned by ssh itself.
    expect(await g('k8s')).toMatch(/^stricthostkeychecking accept-new$/m);
    expect(await g('jump')).toMatch(/^stricthostkeychecking true$/m);
    expect(await g('jump')).toMatch(/^user alice$/m);
    expect(renderKnownHosts(b).split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^asd-2027-lyon\.jump\.asd-lab ssh-ed25519 /),
      expect.stringMatching(/^asd-2027-lyon\.jump\.asd-lab ecdsa-sha2-nistp256 /),
      expect.stringMatching(/^asd-2027-lyon\.app\.asd-lab ssh-ed25519 /),
      expect.stringMatching(/^asd-2027-lyon\.db1\.asd-lab ssh-ed25519 /),
    ]);
    const inv = parseYaml(renderLaptopInventory(b)) as {
      all: { hosts: Record<string, unknown>; children: Record<string, unknown> };
    };
    expect(Object.keys(inv.all.hosts).sort()).toEqual(['alice-app', 'alice-db1', 'alice-db2', 'alice-k8s', 'alice-mon']);
    expect(Object.keys(inv.all.children)).toEqual(['app', 'db', 'k8s', 'mon']);
    const card = renderCardHtml(b, 'fr');
    expect(card).toContain('TOFU');
    expect(card).toMatch(/TOFU\), [^<]*: (db2|k8s|mon), (db2|k8s|mon), (db2|k8s|mon)\./);
    expect(card).toContain(b.jump.fingerprint!);
    expect(b.consoles).toEqual([{ alias: 'mon', address: '10.100.128.14', prometheus: 9090, alertmanager: 9093 }]);
  });

  it("the trainers' files: every applied candidate's servers as asd-admin through the bastion", () => {
    const { list } = awsBundles(cohort, lab, knownHosts, { trainer: true, lang: 'en' });
    const b = list[0]!;
    expect(b.candidate).toBeNull();
    expect(b.jump.user).toBe('asd-admin');
    expect(b.servers.map((s) => `${s.alias}:${s.user}`).sort()).toEqual([
      'alice-app:asd-admin',
      'alice-db1:asd-admin',
      'alice-db2:asd-admin',
      'alice-k8s:asd-admin',
      'alice-mon:asd-admin',
    ]);
  });

  it('the k8s server gets the k3s firewall settings in the inventory, and site.yml imports the k3s play', () => {
    const inv = buildInventory(cohort, lab.hosts, { keyPath: '/keys/lab', pkiDir: '/pki' }) as any;
    expect(inv.all.hosts['alice-k8s']).toMatchObject(K3S_FIREWALL_VARS);
    expect(inv.all.hosts['alice-app'].firewall_forward_accept_interfaces).toBeUndefined();
    expect(inv.all.vars.lab_target).toBe('aws');
    expect(readFileSync(join(REPO_ROOT, 'ansible/site.yml'), 'utf8')).toContain('- import_playbook: kubernetes.yml');
  });
});

describe('access on AWS with per-candidate bastions (hand-written outputs of the same shape)', () => {
  it("the candidate's own gateway is their jump, reached directly; its other servers through it", () => {
    const doc = parseYaml(example) as Record<string, any>;
    doc.aws = { ...doc.aws, bastion: 'per-candidate' };
    const cohort = first(parseCohort(JSON.stringify(doc), 'per-candidate.yaml', { now: NOW }), 1);
    const host = (server: string, role: string, ip: string, pub = '') => ({
      candidate: 'alice',
      server,
      name: `alice-${server}`,
      role,
      private_ip: ip,
      public_ip: pub,
      subnet: '10.100.0.0/18',
    });
    const outputs: TfOutputs = {
      hosts: { value: [host('gateway', 'gateway', '10.100.0.20', '198.51.100.20'), host('app', 'app', '10.100.128.10')] },
    };
    const lab = awsLabHosts(cohort, { network_applied: { value: true }, hosts: { value: [] } }, new Map([['alice', outputs]]));
    const { list } = awsBundles(cohort, lab, '198.51.100.20 ssh-ed25519 AAAAgw\n', { candidate: 'alice', lang: 'en' });
    const b = list[0]!;
    expect(b.jump).toMatchObject({ host: '198.51.100.20', user: 'alice', hostKeys: ['ssh-ed25519 AAAAgw'] });
    expect(b.servers.map((s) => `${s.alias}@${s.address}:${s.via ?? 'jump'}`)).toEqual([
      'gateway@198.51.100.20:direct',
      'app@10.100.128.10:jump',
    ]);
    const cfg = renderSshConfig(b);
    expect(cfg).toContain('Host gateway\n    HostName 198.51.100.20\n    User alice\n    HostKeyAlias');
    expect(cfg).toContain('Host app\n    HostName 10.100.128.10\n    User alice\n    ProxyJump jump\n');
    const inv = parseYaml(renderLaptopInventory(b)) as { all: { hosts: Record<string, Record<string, string>> } };
    expect(inv.all.hosts['alice-gateway']!.ansible_ssh_common_args).not.toContain('ProxyCommand');
    expect(inv.all.hosts['alice-app']!.ansible_ssh_common_args).toBeUndefined();
    expect(() => awsBundles(cohort, lab, '', { trainer: true, lang: 'en' })).toThrow(/per-cohort/);
  });
});

describe('mocked apply (AWS API mocked): Learner Lab mode and bad input', () => {
  it('Learner Lab: no IAM resource applied, LabInstanceProfile on every server, LabRole for the schedules, no budget', async () => {
    const doc = parseYaml(example) as Record<string, any>;
    doc.aws = { ...doc.aws, learnerLab: true, region: 'us-east-1' };
    const cohort = first(parseCohort(JSON.stringify(doc), 'learner.yaml', { now: NOW }), 1);
    const c = await chain(cohort, 'learner');
    expect(failures(c.network)).toEqual([]);
    const cand = c.candidates.get('alice')!;
    expect(failures(cand)).toEqual([]);
    for (const r of [c.network, cand]) {
      expect(r.status).toBe('pass');
      expect(r.resources.filter((a) => a.startsWith('aws_iam_') || a.startsWith('aws_budgets_'))).toEqual([]);
    }
    expect(c.network.outputs.scheduler_role_arn?.value).toBe(`arn:aws:iam::${MOCK_ACCOUNT}:role/LabRole`);
    const json = JSON.parse(readFileSync(join(c.stacks[1]!.dir, 'cdk.tf.json'), 'utf8')) as {
      resource: { aws_instance: Record<string, { iam_instance_profile: string }> };
    };
    for (const i of Object.values(json.resource.aws_instance)) expect(i.iam_instance_profile).toBe('LabInstanceProfile');
  }, 300_000);

  it('a region whose zones lack an instance type of the cohort: the plan fails with a clear message, nothing applied', async () => {
    const cohort = first(twelve, 1);
    mkdirSync(join(root, 'types'), { recursive: true });
    const stacks = synthCohort(cohort, join(root, 'types', 'cdktf.out'), { stateDir: join(root, 'types', 'state') });
    await initForTest(tf, stacks[0]!);
    const zonesA = ['t3.nano', 't3.small', 't3.medium'].map((type) => ({ type, zone: 'eu-west-3a' }));
    const r = await mockApply(tf, stacks[0]!, {
      region: 'eu-west-3',
      command: 'plan',
      offered: [...zonesA, { type: 't3.nano', zone: 'eu-west-3b' }, { type: 't3.small', zone: 'eu-west-3b' }],
    });
    expect(r.status).not.toBe('pass');
    expect(failures(r).join('\n')).toMatch(
      /Region eu-west-3 does not offer every instance type of the cohort in both zones \(eu-west-3a, eu-west-3b\): missing t3\.medium in eu-west-3b\. Choose other types \(aws\.instanceTypes\) or another region \(aws\.region\); nothing was created\./,
    );
    expect(r.resources.filter((a) => !a.startsWith('data.'))).toEqual([]);
  }, 300_000);
});

describe('wipe check (AWS API mocked): the Tagging API data source and its output', () => {
  it('lists the ARNs of what the (mocked) API still tags with the cohort, sorted', async () => {
    const dir = join(root, 'wipe');
    const stack = writeWipeStack(dir, 'asd-2027-lyon', 'eu-west-3');
    const cfg = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));
    expect(cfg.data.aws_resourcegroupstaggingapi_resources.left.tag_filter).toEqual([
      { key: 'cohort', values: ['asd-2027-lyon'] },
    ]);
    await initForTest(tf, stack);
    const arns = ['arn:aws:ec2:eu-west-3:123456789012:volume/vol-2', 'arn:aws:ec2:eu-west-3:123456789012:instance/i-1'];
    const r = await mockApply(tf, stack, {
      region: 'eu-west-3',
      data: {
        aws_resourcegroupstaggingapi_resources: {
          resource_tag_mapping_list: arns.map((resource_arn) => ({ resource_arn, tags: { cohort: 'asd-2027-lyon' } })),
        },
      },
    });
    expect(failures(r)).toEqual([]);
    expect(r.outputs.left?.value).toEqual([...arns].sort());
  }, 120_000);
});

describe('mocked apply (AWS API mocked): 12 candidates, examples/cohort.yaml', () => {
  it('the network and 12 candidate stacks apply, 2 at a time; each candidate gets only its own servers', async () => {
    const c = await chain(twelve, 'twelve');
    console.log(
      `mocked apply, 12 candidates: network ${c.seconds.network.toFixed(1)} s, candidates ${c.seconds.candidates.toFixed(1)} s (2 at a time), total ${c.seconds.total.toFixed(1)} s`,
    );
    expect(c.network.status).toBe('pass');
    expect([...c.candidates.values()].map((r) => r.status)).toEqual(Array(12).fill('pass'));
    const lab = awsLabHosts(twelve, c.network.outputs, new Map([...c.candidates].map(([id, r]) => [id, r.outputs])));
    expect(lab.hosts).toHaveLength(1 + 12 * 5);
    for (const cand of twelve.candidates)
      expect(
        lab.hosts
          .filter((h) => h.candidate === cand.id)
          .map((h) => h.server)
          .sort(),
      ).toEqual(['app', 'db1', 'db2', 'k8s', 'mon']);
  }, 900_000);
});
