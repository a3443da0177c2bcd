// The AWS stacks, read from the Terraform JSON they synthesize (tests cannot import cdktf: only
// stacks/ may). Each test asserts a security or architecture PROPERTY, not a snapshot.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCohort } from '../src/core/model/load.ts';
import { AwsInputError, synthCohort, type StackInfo } from '../stacks/index.ts';
import { ROLE_INGRESS } from '../stacks/topology.ts';
import { NOW } from './helpers.ts';

// Three distinct public test keys (from examples/cohort.yaml) and ids that are not substrings of each other.
const KEYS = {
  alice: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICuLpKInuo6VF4RlwyLoS+Lg5GNQj3w38bDzsLWz3jhc alice@asd-lab',
  bruno: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAa8sJXno/Di+FUx4Vi9Racsw8Cb8wwwraQVNI2lCrB+ bruno@asd-lab',
  chloe: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKDYNYc5ZldPDkH1T/rofeX6gGfZF3x/1lL/z7r0Svgf chloe@asd-lab',
};
const TRAINER = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFQ3c7NpdaumveFUGZzVBX8oC71QhHqiOOcG3f01Fv+c trainer@asd-lab';

function awsCohortYaml(extra = '', ids: (keyof typeof KEYS)[] = ['alice', 'bruno', 'chloe']): string {
  return [
    'cohort: t3st',
    'target: aws',
    'expires: 2027-06-30',
    'admin:',
    '  cidrs: [203.0.113.0/24, "2001:db8::/48"]',
    `  sshKeys: ["${TRAINER}"]`,
    'candidates:',
    ...ids.map((id) => `  - { id: ${id}, sshKey: "${KEYS[id]}" }`),
    extra,
  ].join('\n');
}

const dirs: string[] = [];
afterAll(() =>
  dirs.forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  }),
);

type Json = Record<string, any>;
function synth(yaml: string, opts: { amiId?: string } = {}) {
  const cohort = parseCohort(yaml, 'test.yaml', { now: NOW });
  const out = mkdtempSync(join(tmpdir(), 'asd-stacks-'));
  dirs.push(out);
  const stacks = synthCohort(cohort, join(out, 'cdktf.out'), { stateDir: join(out, 'state'), ...opts });
  const json = new Map<string, Json>(
    stacks.map((s) => [s.name, JSON.parse(readFileSync(join(s.dir, 'cdk.tf.json'), 'utf8')) as Json]),
  );
  return { cohort, stacks, json, out };
}
const res = (stack: Json, type: string): [string, Json][] =>
  Object.entries((stack.resource?.[type] ?? {}) as Record<string, Json>);
const refs = (v: unknown): string[] => [...JSON.stringify(v ?? null).matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);

describe('AWS stacks: layout', () => {
  const { stacks, json } = synth(awsCohortYaml());
  const net = json.get('t3st-network')!;

  it('one network stack and one stack per candidate, each with its own local state file', () => {
    expect(stacks.map((s: StackInfo) => [s.name, s.kind, s.candidate])).toEqual([
      ['t3st-network', 'network', undefined],
      ['t3st-cand-alice', 'candidate', 'alice'],
      ['t3st-cand-bruno', 'candidate', 'bruno'],
      ['t3st-cand-chloe', 'candidate', 'chloe'],
    ]);
    const paths = [...json.values()].map((j) => j.terraform.backend.local.path as string);
    expect(new Set(paths).size).toBe(4);
    paths.forEach((p, i) => {
      expect(p).toMatch(new RegExp(`/state/${stacks[i]!.name}/terraform.tfstate$`));
    });
  });

  it('a VPC over two zones, public and private subnets, one NAT gateway, flow logs on everything', () => {
    const subnets = res(net, 'aws_subnet').map(([, s]) => [s.availability_zone, s.tags.tier, s.cidr_block]);
    expect(subnets).toEqual(
      expect.arrayContaining([
        ['eu-west-3a', 'public', '10.100.0.0/18'],
        ['eu-west-3b', 'public', '10.100.64.0/18'],
        ['eu-west-3a', 'private', '10.100.128.0/18'],
        ['eu-west-3b', 'private', '10.100.192.0/18'],
      ]),
    );
    expect(res(net, 'aws_subnet').every(([, s]) => s.map_public_ip_on_launch === false)).toBe(true);
    expect(res(net, 'aws_nat_gateway')).toHaveLength(1);
    const [[, flow]] = res(net, 'aws_flow_log') as [[string, Json]];
    expect(flow).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs' });
    expect(refs(flow.vpc_id)).toEqual(['aws_vpc.network_vpc.id']);
    // The default security group is adopted with no rule at all.
    const [[, dsg]] = res(net, 'aws_default_security_group') as [[string, Json]];
    expect(dsg.ingress).toBeUndefined();
    expect(dsg.egress).toBeUndefined();
  });

  it('the backup bucket is versioned, encrypted, private, TLS-only and expires old backups', () => {
    const [[, pab]] = res(net, 'aws_s3_bucket_public_access_block') as [[string, Json]];
    expect(pab).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(res(net, 'aws_s3_bucket_versioning')[0]![1].versioning_configuration).toEqual({ status: 'Enabled' });
    expect(
      res(net, 'aws_s3_bucket_server_side_encryption_configuration')[0]![1].rule[0].apply_server_side_encryption_by_default
        .sse_algorithm,
    ).toBe('AES256');
    const rule = res(net, 'aws_s3_bucket_lifecycle_configuration')[0]![1].rule[0];
    expect(rule).toMatchObject({
      status: 'Enabled',
      expiration: [{ days: 30 }],
      noncurrent_version_expiration: [{ noncurrent_days: 30 }],
    });
    const policy = JSON.parse(res(net, 'aws_s3_bucket_policy')[0]![1].policy as string) as Json;
    expect(policy.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('backup retention follows cohort.aws.backupRetentionDays', () => {
    const { json: j } = synth(awsCohortYaml('aws: { backupRetentionDays: 7 }'));
    const rule = res(j.get('t3st-network')!, 'aws_s3_bucket_lifecycle_configuration')[0]![1].rule[0];
    expect(rule.expiration).toEqual([{ days: 7 }]);
  });

  it('every stack tags every resource with cohort and expiry through the provider default_tags', () => {
    for (const [name, j] of json) {
      expect(j.provider.aws[0].default_tags[0].tags, name).toMatchObject({
        cohort: 't3st',
        expires: '2027-06-30',
        'managed-by': 'asd-lab',
        stack: name,
      });
    }
    expect(json.get('t3st-cand-bruno')!.provider.aws[0].default_tags[0].tags.candidate).toBe('bruno');
    // Block devices do not inherit default_tags at plan time: they carry the tags themselves.
    for (const j of json.values()) {
      for (const [, i] of res(j, 'aws_instance'))
        expect(i.root_block_device.tags).toMatchObject({ cohort: 't3st', expires: '2027-06-30' });
    }
  });

  it('every instance requires IMDSv2 and every volume is encrypted', () => {
    const instances = [...json.values()].flatMap((j) => res(j, 'aws_instance'));
    expect(instances).toHaveLength(1 + 3 * 5);
    for (const [id, i] of instances) {
      expect(i.metadata_options, id).toMatchObject({
        http_tokens: 'required',
        http_endpoint: 'enabled',
        http_put_response_hop_limit: 1,
      });
      expect(i.root_block_device, id).toMatchObject({ encrypted: true, volume_type: 'gp3' });
      expect(i.ebs_block_device, id).toBeUndefined();
    }
    const volumes = [...json.values()].flatMap((j) => res(j, 'aws_ebs_volume'));
    expect(volumes).toHaveLength(3 * 2);
    for (const [id, v] of volumes) expect(v, id).toMatchObject({ encrypted: true, type: 'gp3', size: 10 });
  });

  it('no ingress rule anywhere is open to the whole Internet, and SSH comes only from the bastion or the admin CIDRs', () => {
    for (const [name, j] of json) {
      for (const [id, r] of res(j, 'aws_vpc_security_group_ingress_rule')) {
        expect([r.cidr_ipv4, r.cidr_ipv6], `${name} ${id}`).not.toContain('0.0.0.0/0');
        expect([r.cidr_ipv4, r.cidr_ipv6], `${name} ${id}`).not.toContain('::/0');
        if (r.from_port <= 22 && r.to_port >= 22) {
          const source = r.cidr_ipv4 ?? r.cidr_ipv6 ?? refs(r.referenced_security_group_id)[0];
          expect(['203.0.113.0/24', '2001:db8::/48', 'local.network.bastion_security_group_id'], `${name} ${id}`).toContain(
            source,
          );
        }
      }
      expect(
        res(j, 'aws_security_group').every(([, sg]) => sg.ingress === undefined && sg.egress === undefined),
        name,
      ).toBe(true);
    }
  });

  it('isolation: a candidate stack references only its own groups, the network outputs and its own names', () => {
    const ids = ['alice', 'bruno', 'chloe'];
    for (const id of ids) {
      const j = json.get(`t3st-cand-${id}`)!;
      const ownGroups = new Set(res(j, 'aws_security_group').map(([k]) => `aws_security_group.${k}.id`));
      for (const [rid, r] of [
        ...res(j, 'aws_vpc_security_group_ingress_rule'),
        ...res(j, 'aws_vpc_security_group_egress_rule'),
      ]) {
        for (const ref of [...refs(r.security_group_id), ...refs(r.referenced_security_group_id)]) {
          expect(ownGroups.has(ref) || ref === 'local.network.bastion_security_group_id', `${id} ${rid}: ${ref}`).toBe(true);
        }
      }
      for (const [iid, i] of res(j, 'aws_instance')) {
        expect(refs(i.subnet_id), iid).toEqual([expect.stringMatching(/^local\.network\.private_subnet_ids\[[01]\]$/)]);
        expect(
          i.vpc_security_group_ids.every((g: string) => ownGroups.has(refs(g)[0]!)),
          iid,
        ).toBe(true);
      }
      // The only other state it reads is the network's; no other candidate is named anywhere.
      expect(Object.keys(j.data.terraform_remote_state)).toEqual(['network_state']);
      expect(j.data.terraform_remote_state.network_state.config.path).toMatch(/\/state\/t3st-network\/terraform\.tfstate$/);
      const text = JSON.stringify(j);
      for (const other of ids.filter((x) => x !== id)) {
        expect(text.includes(other), `${id} mentions ${other}`).toBe(false);
        expect(text.includes(KEYS[other as keyof typeof KEYS].split(' ')[1]!), `${id} holds ${other}'s key`).toBe(false);
      }
    }
  });

  it('each role opens exactly the ports of ROLE_INGRESS, from the named sources', () => {
    const j = json.get('t3st-cand-alice')!;
    const sgRole = new Map(res(j, 'aws_security_group').map(([k, sg]) => [`aws_security_group.${k}.id`, sg.tags.role as string]));
    const rules = res(j, 'aws_vpc_security_group_ingress_rule').map(([, r]) => {
      const ref = refs(r.referenced_security_group_id)[0];
      const from =
        r.cidr_ipv4 || r.cidr_ipv6 ? 'admin' : ref === 'local.network.bastion_security_group_id' ? 'bastion' : sgRole.get(ref!);
      return `${sgRole.get(refs(r.security_group_id)[0]!)}:${r.from_port}:${from}`;
    });
    const db = rules.filter((r) => r.startsWith('db:')).sort();
    expect(db).toEqual([
      'db:22:admin',
      'db:22:admin',
      'db:22:bastion',
      'db:5432:app',
      'db:5432:db',
      'db:5432:k8s',
      'db:5432:mon',
      'db:8432:mon',
      'db:9100:mon',
      'db:9187:mon',
    ]);
    expect(rules.filter((r) => r.startsWith('mon:9090') || r.startsWith('mon:9093')).sort()).toEqual([
      'mon:9090:admin',
      'mon:9090:admin',
      'mon:9090:bastion',
      'mon:9093:admin',
      'mon:9093:admin',
      'mon:9093:bastion',
    ]);
    expect(rules).toContain('app:9100:mon');
    expect(rules).toContain('k8s:6443:bastion');
    // Nothing beyond the table: every port opened is one of the role's.
    for (const r of rules) {
      const [role, port] = r.split(':');
      expect(
        ROLE_INGRESS[role as keyof typeof ROLE_INGRESS].some((x) => x.ports[0] === Number(port)),
        r,
      ).toBe(true);
    }
    // app 3+3+4+1+1, db 3+4+1+1+1, mon 3+1+1+3+3+3, k8s 3+3+4+3+1: every admin-sourced port once per
    // admin CIDR (two here); the flows come from src/core/flows.ts (test/flows.test.ts checks each).
    expect(rules).toHaveLength(12 + 10 + 14 + 14);
  });

  it("the instance role may touch only the candidate's own backup prefix", () => {
    for (const id of ['alice', 'chloe']) {
      const j = json.get(`t3st-cand-${id}`)!;
      const [[, p]] = res(j, 'aws_iam_role_policy') as [[string, Json]];
      const doc = JSON.parse(p.policy as string) as Json;
      const arn = '${local.network.backup_bucket_arn}';
      expect(doc.Statement).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: arn,
          Condition: { StringLike: { 's3:prefix': [`${id}/`, `${id}/*`] } },
        }),
        expect.objectContaining({ Effect: 'Allow', Resource: `${arn}/${id}/*` }),
      ]);
      expect(doc.Statement[1].Action).not.toContain('s3:*');
      expect(
        res(j, 'aws_instance').every(([, i]) => refs(i.iam_instance_profile)[0] === 'aws_iam_instance_profile.iam_profile.name'),
      ).toBe(true);
    }
  });

  it('servers: gateway skipped with a per-cohort bastion, one k8s node added, key pair from the candidate key, db data volumes', () => {
    const j = json.get('t3st-cand-alice')!;
    const servers = res(j, 'aws_instance').map(([, i]) => [i.tags.server, i.tags.role, i.instance_type]);
    expect(servers.sort()).toEqual([
      ['app', 'app', 't3.small'],
      ['db1', 'db', 't3.small'],
      ['db2', 'db', 't3.small'],
      ['k8s', 'k8s', 't3.medium'],
      ['mon', 'mon', 't3.small'],
    ]);
    const zones = Object.fromEntries(res(j, 'aws_instance').map(([, i]) => [i.tags.server, i.subnet_id]));
    expect(zones.db1).not.toBe(zones.db2); // the two database servers are in different zones
    expect(res(j, 'aws_key_pair')[0]![1]).toMatchObject({ key_name: 't3st-alice', public_key: KEYS.alice });
    expect(res(j, 'aws_volume_attachment').map(([, a]) => a.device_name)).toEqual(['/dev/sdf', '/dev/sdf']);
    const [[, bastion]] = res(net, 'aws_instance') as [[string, Json]];
    expect(bastion).toMatchObject({ instance_type: 't3.nano', associate_public_ip_address: true });
    expect(bastion.user_data).toContain('name: alice');
    expect(bastion.user_data).toContain('/usr/sbin/nologin');
  });

  it('outputs feed the Ansible inventory: name, role, private IP and candidate of every host', () => {
    const hosts = json.get('t3st-cand-bruno')!.output.hosts.value as Json[];
    expect(hosts.map((h) => h.name).sort()).toEqual(['bruno-app', 'bruno-db1', 'bruno-db2', 'bruno-k8s', 'bruno-mon']);
    for (const h of hosts) {
      expect(h).toMatchObject({ candidate: 'bruno', role: expect.any(String), server: expect.any(String) });
      expect(refs(h.private_ip)).toEqual([expect.stringMatching(/^aws_instance\..*\.private_ip$/)]);
    }
    expect(net.output.bastion_public_ip.value).toMatch(/public_ip/);
  });

  it('cross-stack: placeholders until the network state exists, and a guard that refuses to apply on them', () => {
    const j = json.get('t3st-cand-alice')!;
    expect(j.data.terraform_remote_state.network_state.count).toMatch(
      /^\$\{fileexists\(".*t3st-network\/terraform\.tfstate"\) \? 1 : 0\}$/,
    );
    expect(j.locals.network).toContain('"network_applied":false');
    expect(j.locals.network).toContain('try(data.terraform_remote_state.network_state[0].outputs, {})');
    expect(res(j, 'aws_key_pair')[0]![1].lifecycle.precondition[0].condition).toBe(
      '${local.network.network_applied || var.plan_only}',
    );
    expect(j.variable.plan_only).toMatchObject({ type: 'bool', default: false });
    // Every instance refuses an unpinned AMI outside plan_only.
    for (const [, i] of res(j, 'aws_instance'))
      expect(i.lifecycle.precondition[0].condition).toBe(
        '${local.debian_ami != "ami-unpinned-debian-12-amd64" || var.plan_only}',
      );
    // The pinned AMI, else the network's (pinned or looked up): one image for the cohort.
    expect(j.locals.debian_ami).toBe('${var.debian_ami_id != "" ? var.debian_ami_id : local.network.cohort_ami_id}');
  });

  it('synthesis is deterministic (re-running it changes nothing)', () => {
    const a = synth(awsCohortYaml());
    const b = synth(awsCohortYaml());
    for (const s of a.stacks) {
      const norm = (j: Json) => JSON.stringify(j).replaceAll(a.out, '').replaceAll(b.out, '');
      expect(norm(a.json.get(s.name)!)).toBe(norm(b.json.get(s.name)!));
    }
  });
});

describe('AWS stacks: variants and bad input', () => {
  it('bastion per candidate: the gateway server is public and is the only SSH source of the private servers', () => {
    const { json } = synth(awsCohortYaml('aws: { bastion: per-candidate }\nmodules: { kubernetes: false }'));
    expect(res(json.get('t3st-network')!, 'aws_instance')).toHaveLength(0);
    const j = json.get('t3st-cand-alice')!;
    const instances = Object.fromEntries(res(j, 'aws_instance').map(([, i]) => [i.tags.server, i]));
    expect(Object.keys(instances).sort()).toEqual(['app', 'db1', 'db2', 'gateway', 'mon']); // no k8s node
    expect(instances.gateway).toMatchObject({ associate_public_ip_address: true, instance_type: 't3.nano' });
    expect(refs(instances.gateway.subnet_id)).toEqual(['local.network.public_subnet_ids[0]']);
    const ssh = res(j, 'aws_vpc_security_group_ingress_rule').filter(([, r]) => r.from_port === 22);
    const gatewaySg = res(j, 'aws_security_group').find(([, sg]) => sg.tags.role === 'gateway')![0];
    for (const [id, r] of ssh) {
      if (id.startsWith('env_gateway')) expect(r.cidr_ipv4 ?? r.cidr_ipv6, id).toBeDefined();
      else expect([`aws_security_group.${gatewaySg}.id`, undefined], id).toContain(refs(r.referenced_security_group_id)[0]);
    }
    expect(JSON.stringify(j).includes('${local.network.bastion_security_group_id}')).toBe(false);
  });

  it('a VPC CIDR with host bits is normalized (AWS would refuse it) and split in quarters', () => {
    const { json } = synth(awsCohortYaml('aws: { vpcCidr: 10.20.30.40/20 }'));
    const net = json.get('t3st-network')!;
    expect(res(net, 'aws_vpc')[0]![1].cidr_block).toBe('10.20.16.0/20');
    expect(
      res(net, 'aws_subnet')
        .map(([, s]) => s.cidr_block)
        .sort(),
    ).toEqual(['10.20.16.0/22', '10.20.20.0/22', '10.20.24.0/22', '10.20.28.0/22']);
  });

  it('a pinned AMI becomes the variable default', () => {
    const { json } = synth(awsCohortYaml(), { amiId: 'ami-0123456789abcdef0' });
    expect(json.get('t3st-cand-alice')!.variable.debian_ami_id.default).toBe('ami-0123456789abcdef0');
  });

  const problems = (yaml: string, opts: { amiId?: string } = {}) => {
    try {
      synth(yaml, opts);
    } catch (err) {
      if (err instanceof AwsInputError) return err.problems;
      throw err;
    }
    return [];
  };

  it('rejects, before synthesizing anything, every AWS-specific problem at once', () => {
    const yaml = awsCohortYaml('aws: { vpcCidr: 10.1.0.0/24, instanceTypes: { app: t4g.small } }').replace(
      '  cidrs: [203.0.113.0/24, "2001:db8::/48"]',
      '  cidrs: []',
    );
    const p = problems(yaml);
    expect(p).toHaveLength(3);
    expect(p[0]).toMatch(/admin\.cidrs is empty/);
    expect(p.join('\n')).toMatch(/aws\.vpcCidr must be an IPv4 CIDR from \/16 to \/22.*10\.1\.0\.0\/24/);
    expect(p.join('\n')).toMatch(/t4g\.small is arm64/);
    expect(problems(awsCohortYaml(), { amiId: 'ami-nope' })).toEqual([
      'the AMI id must look like ami-0123456789abcdef0, got ami-nope',
    ]);
  });

  it('the AMI lookup (official Debian owner, name pattern) and the instance-type check run only when aws_lookups', () => {
    const net = synth(awsCohortYaml()).json.get('t3st-network')!;
    const ami = net.data.aws_ami.debian;
    expect(ami).toMatchObject({ owners: ['136693071363'], most_recent: true });
    expect(ami.filter).toEqual(
      expect.arrayContaining([
        { name: 'name', values: ['debian-12-amd64-*'] },
        { name: 'architecture', values: ['x86_64'] },
      ]),
    );
    expect(ami.count).toBe('${var.aws_lookups && var.debian_ami_id == "" ? 1 : 0}');
    expect(net.locals.debian_ami).toBe(
      '${coalesce(var.debian_ami_id, one(data.aws_ami.debian[*].id), "ami-unpinned-debian-12-amd64")}',
    );
    const types = net.data.aws_ec2_instance_type_offerings.lab_types;
    expect(types.count).toBe('${var.aws_lookups ? 1 : 0}');
    expect(types.filter).toEqual([
      { name: 'instance-type', values: ['t3.medium', 't3.nano', 't3.small'] },
      { name: 'location', values: ['eu-west-3a', 'eu-west-3b'] },
    ]);
    expect(net.variable.aws_lookups).toMatchObject({ type: 'bool', default: true });
  });

  it('costs bounded: a budget to the trainers when admin.email is set, and a schedule stopping the instances after expires', () => {
    const withMail = synth(awsCohortYaml().replace('admin:', 'admin:\n  email: trainer@example.org')).json;
    const budget = res(withMail.get('t3st-network')!, 'aws_budgets_budget')[0]![1];
    expect(budget).toMatchObject({ budget_type: 'COST', time_unit: 'MONTHLY', limit_amount: '360.00', limit_unit: 'USD' });
    expect(budget.cost_filter).toEqual([{ name: 'TagKeyValue', values: ['user:cohort$t3st'] }]);
    expect(budget.notification.map((n: Json) => [n.notification_type, n.threshold, n.subscriber_email_addresses])).toEqual([
      ['ACTUAL', 80, ['trainer@example.org']],
      ['FORECASTED', 100, ['trainer@example.org']],
    ]);
    // Without an address: no budget (up refuses such a cohort, docs/aws.md).
    expect(res(synth(awsCohortYaml()).json.get('t3st-network')!, 'aws_budgets_budget')).toEqual([]);
    for (const [name, j] of withMail) {
      const [, sched] = res(j, 'aws_scheduler_schedule')[0]!;
      expect(sched.schedule_expression, name).toBe('at(2027-07-01T00:00:00)');
      expect(sched.target.arn).toBe('arn:aws:scheduler:::aws-sdk:ec2:stopInstances');
      const ids = refs(sched.target.input).join(' ');
      for (const [addr] of res(j, 'aws_instance')) expect(ids, name).toContain(`aws_instance.${addr}.id`);
    }
    const policy = JSON.parse(
      res(withMail.get('t3st-network')!, 'aws_iam_role_policy').find(([id]) => id.startsWith('expiry'))![1].policy,
    );
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Action: 'ec2:StopInstances', Condition: { StringEquals: { 'aws:ResourceTag/cohort': 't3st' } } }),
    ]);
  });

  it('Learner Lab mode: no aws_iam_* resource in any stack, LabInstanceProfile on every server, no budget, no flow logs', () => {
    const yaml = awsCohortYaml('aws: { learnerLab: true, region: us-east-1 }').replace(
      'admin:',
      'admin:\n  email: trainer@example.org',
    );
    const { json } = synth(yaml);
    for (const [name, j] of json) {
      expect(
        Object.keys(j.resource).filter((type) => type.startsWith('aws_iam_') || type === 'aws_budgets_budget'),
        name,
      ).toEqual([]);
    }
    for (const id of ['alice', 'bruno', 'chloe']) {
      const j = json.get(`t3st-cand-${id}`)!;
      for (const [, i] of res(j, 'aws_instance')) expect(i.iam_instance_profile).toBe('LabInstanceProfile');
    }
    const net = json.get('t3st-network')!;
    expect(res(net, 'aws_flow_log')).toEqual([]);
    expect(net.output.scheduler_role_arn.value).toMatch(/:role\/LabRole$/);
    expect(net.data.aws_caller_identity.account.count).toBe('${var.aws_lookups ? 1 : 0}');
  });

  it('rejects a candidate id that is a system account of the shared bastion, and a local cohort', () => {
    const yaml = awsCohortYaml().replace('id: bruno', 'id: admin');
    expect(problems(yaml)).toEqual([expect.stringMatching(/candidate id "admin" is a system account/)]);
    const local = awsCohortYaml().replace('target: aws', 'target: local');
    expect(problems(local)).toEqual([expect.stringMatching(/targets "local": there are no Terraform stacks/)]);
  });
});
