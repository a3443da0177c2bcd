// The flows table (src/core/flows.ts) and what is derived from it: every port that the nftables
// ruleset of a server opens (rendered by Ansible from the generated inventory, offline) has its
// security-group rule in the synthesized AWS stacks, from the sources the table names and no
// others, and an arrow in the architecture diagram.
// Needs ansible-playbook (renders the firewall role's template on this machine, touching nothing);
// `nft -c` checks the rendered rulesets when run as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPETENCIES } from '../src/core/competencies.ts';
import { activeFlows, FLOWS, flowsTo, type Flow } from '../src/core/flows.ts';
import { ROLES, type Role } from '../src/core/model/cohort.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { buildDiagram, candidateStates } from '../src/evidence/diagram.ts';
import type { InventoryHost } from '../src/core/hosts.ts';
import { buildInventory, renderInventory } from '../src/lifecycle/inventory.ts';
import { synthCohort } from '../stacks/index.ts';
import { KEY_A, NOW } from './helpers.ts';
import { serversOf } from './report-fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'asd-flows-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ADMIN = ['203.0.113.0/24', '2001:db8::/48'];
const SERVERS = [
  ['gateway', 'gateway'],
  ['app', 'app'],
  ['db1', 'db'],
  ['db2', 'db'],
  ['mon', 'mon'],
  ['k8s', 'k8s'],
] as const;
const cohortYaml = (extra: string) =>
  [
    'cohort: flows',
    `admin: {cidrs: [${ADMIN.map((c) => JSON.stringify(c)).join(', ')}]}`,
    'servers:',
    ...SERVERS.map(([name, role]) => `  - {name: ${name}, role: ${role}}`),
    'candidates:',
    `  - {id: alice, sshKey: "${KEY_A}"}`,
    extra,
  ].join('\n');

describe('the flows table', () => {
  it('has unique ids, known roles, criteria that exist, and a reason for every flow', () => {
    const ids = FLOWS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const criteria = new Set(COMPETENCIES.flatMap((c) => c.criteria.map((x) => x.id)));
    for (const f of FLOWS as readonly Flow[]) {
      expect(f.id, f.id).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(f.port > 0 && f.port < 65536, f.id).toBe(true);
      expect(f.to.length, f.id).toBeGreaterThan(0);
      for (const r of f.to) expect(ROLES, f.id).toContain(r);
      expect(f.from.length, f.id).toBeGreaterThan(0);
      for (const s of f.from) if (s.kind === 'role') expect(ROLES, f.id).toContain(s.role);
      expect(f.why.length, f.id).toBeGreaterThan(10);
      expect(f.competencies.length, f.id).toBeGreaterThan(0);
      for (const c of f.competencies) expect(criteria.has(c), `${f.id}: ${c}`).toBe(true);
    }
  });

  it("opens no port to the world except the end users' HTTP and HTTPS", () => {
    expect(
      FLOWS.filter((f) => (f.from as readonly Flow['from'][number][]).some((s) => s.kind === 'public')).map((f) => f.id),
    ).toEqual(['http', 'https']);
  });

  it('two flows on one port of one role never disagree on who writes the rule', () => {
    for (const r of ROLES) {
      const byPort = new Map<number, Flow[]>();
      for (const f of flowsTo(r, { data: true, monitoring: true })) byPort.set(f.port, [...(byPort.get(f.port) ?? []), f]);
      for (const [port, fs] of byPort) expect(new Set(fs.map((f) => f.narrowedBy ?? '')).size, `${r}:${port}`).toBe(1);
    }
  });

  it('follows the modules: no data or monitoring flow without its module', () => {
    const ids = (data: boolean, monitoring: boolean) => activeFlows({ data, monitoring }).map((f) => f.id);
    expect(ids(false, false)).toEqual(['ssh', 'http', 'https', 'app-metrics', 'k8s-api']);
    expect(ids(true, false)).not.toContain('postgres-exporter');
    expect(ids(false, true)).not.toContain('postgres-exporter');
    expect(ids(true, true)).toHaveLength(FLOWS.length);
  });

  it('imports nothing outside src/core', () => {
    const src = readFileSync(resolve(REPO_ROOT, 'src/core/flows.ts'), 'utf8');
    const imports = [...src.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]!);
    for (const i of imports) expect(i.startsWith('./'), i).toBe(true);
  });
});

// ---- the nftables rulesets, rendered by Ansible from the inventory ----

const local = parseCohort(cohortYaml(''), 'flows.yaml', { now: NOW });
const hosts: InventoryHost[] = SERVERS.map(([server, role], i) => ({
  candidate: 'alice',
  server,
  role,
  address: `10.98.0.${10 + i}`,
  subnet: '10.98.0.0/24',
}));
const machine = (server: string) => `alice-${server}`;

/** Render every host's /etc/nftables.conf with the firewall role's own tasks and template. */
function renderRulesets(): Map<string, string> {
  const inventory = join(tmp, 'inventory.yml');
  writeFileSync(
    inventory,
    renderInventory(buildInventory(local, hosts, { keyPath: '/nonexistent/key', pkiDir: '/nonexistent/pki' })),
  );
  const playbook = join(tmp, 'render.yml');
  writeFileSync(
    playbook,
    `- name: Render the firewall ruleset of every host, on this machine only
  hosts: all
  gather_facts: false
  become: false
  connection: local
  tasks:
    - name: The firewall role's flows and sources
      ansible.builtin.include_role: {name: firewall, tasks_from: flows, public: true}
    - name: Its ruleset, into the test directory
      ansible.builtin.template:
        src: ${resolve(REPO_ROOT, 'ansible/roles/firewall/templates/nftables.conf.j2')}
        dest: "${tmp}/{{ inventory_hostname }}.nft"
        mode: "0600"
`,
  );
  const r = spawnSync(
    'ansible-playbook',
    [
      '-i',
      inventory,
      playbook,
      '-e',
      `ansible_python_interpreter=${execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim()}`,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        ANSIBLE_CONFIG: resolve(REPO_ROOT, 'ansible/ansible.cfg'),
        ANSIBLE_STDOUT_CALLBACK: 'default',
        ANSIBLE_CALLBACKS_ENABLED: '',
      },
    },
  );
  if (r.error) throw new Error(`ansible-playbook is missing (apt-get install -y ansible): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ansible-playbook failed:\n${r.stdout}\n${r.stderr}`);
  return new Map(hosts.map((h) => [machine(h.server), readFileSync(join(tmp, `${machine(h.server)}.nft`), 'utf8')]));
}

/** TCP ports the input chain accepts new connections on. */
const openPorts = (ruleset: string) => {
  const input = /\tchain input \{\n([\s\S]*?)\n\t\}/.exec(ruleset)![1]!;
  return [...new Set([...input.matchAll(/^\s*tcp dport (\d+) .*accept/gm)].map((m) => Number(m[1])))].sort((a, b) => a - b);
};

describe('nftables, security groups and diagram agree', () => {
  const rulesets = renderRulesets();
  const opened = new Map(hosts.map((h) => [h, openPorts(rulesets.get(machine(h.server))!)]));
  const all = { data: true, monitoring: true };

  it("each server opens exactly the ports of its role's flows (5432 and 8432 by the data module's rules)", () => {
    const want = (r: Role) => [...new Set(flowsTo(r, all).map((f) => f.port))].sort((a, b) => a - b);
    for (const [h, ports] of opened) expect(ports, h.server).toEqual(want(h.role as Role));
    expect(opened.get(hosts[2]!)).toEqual([22, 5432, 8432, 9100, 9187]);
    expect(opened.get(hosts[4]!)).toEqual([22, 6514, 8432, 9090, 9093, 9100]);
    // Not widened: node exporter and the data ports are restricted to the named servers.
    const db1 = rulesets.get('alice-db1')!;
    expect(db1).toMatch(/set flow_node_exporter_v4 \{[^}]*elements = \{ 10\.98\.0\.14 \}/);
    expect(db1).toMatch(/tcp dport 8432 ip saddr \{ 10\.98\.0\.14\/32 \} ct state new accept/);
    expect(rulesets.get('alice-app')!).toMatch(/\n\t\ttcp dport 443 ct state new accept/);
  });

  it.skipIf(process.getuid?.() !== 0 || spawnSync('nft', ['--version']).error !== undefined)(
    'nft -c accepts every rendered ruleset (root only)',
    () => {
      for (const [name, text] of rulesets) {
        const file = join(tmp, `${name}.check.nft`);
        writeFileSync(file, text);
        const r = spawnSync('nft', ['-c', '-f', file], { encoding: 'utf8' });
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
      }
    },
  );

  // The AWS stacks with the same servers; a per-candidate bastion, so that the gateway has its
  // group in the candidate's stack.
  type Json = Record<string, any>;
  const synth = (extra: string) => {
    const cohort = parseCohort(cohortYaml(`target: aws\nexpires: 2027-06-30\n${extra}`), 'flows-aws.yaml', { now: NOW });
    const out = join(tmp, `cdktf-${extra.replace(/\W+/g, '-')}`);
    const stacks = synthCohort(cohort, out, { stateDir: join(tmp, 'state') });
    return new Map(stacks.map((s) => [s.name, JSON.parse(readFileSync(join(s.dir, 'cdk.tf.json'), 'utf8')) as Json]));
  };
  const refs = (v: unknown): string[] => [...JSON.stringify(v ?? null).matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
  /** The ingress rules of a stack as role:port -> sources ('admin:<cidr>', 'bastion', or a role). */
  const ingress = (j: Json) => {
    const sgRole = new Map(
      Object.entries((j.resource.aws_security_group ?? {}) as Record<string, Json>).map(([k, sg]) => [
        `aws_security_group.${k}.id`,
        sg.tags.role as string,
      ]),
    );
    const bastionSg = [...sgRole].find(([, r]) => r === 'gateway')?.[0];
    const rules = new Map<string, string[]>();
    for (const [id, r] of Object.entries((j.resource.aws_vpc_security_group_ingress_rule ?? {}) as Record<string, Json>)) {
      expect([r.cidr_ipv4, r.cidr_ipv6]).not.toContain('0.0.0.0/0');
      expect([r.cidr_ipv4, r.cidr_ipv6]).not.toContain('::/0');
      expect(r.from_port).toBe(r.to_port);
      // A candidate's own bastion is its gateway group: the rule's name says which source it carries.
      const ref = refs(r.referenced_security_group_id)[0];
      const label = /-from-([a-z0-9]+)(-\d+)?$/.exec(id)![1]!;
      let from: string;
      if (r.cidr_ipv4 || r.cidr_ipv6) from = `admin:${r.cidr_ipv4 ?? r.cidr_ipv6}`;
      else if (label === 'bastion') {
        expect(ref === 'local.network.bastion_security_group_id' || ref === bastionSg, id).toBe(true);
        from = 'bastion';
      } else {
        expect(sgRole.get(ref!), id).toBe(label);
        from = label;
      }
      const key = `${sgRole.get(refs(r.security_group_id)[0]!) ?? 'bastion'}:${r.from_port}`;
      rules.set(key, [...(rules.get(key) ?? []), from].sort());
    }
    return rules;
  };
  /**
   * The sources the table asks for on AWS: end users and the trainers come through the bastion or
   * from the trainers' networks, the candidate's servers by their role's group; 'subnet' opens
   * nothing there (the subnets are shared by every candidate). The bastion needs no rule to itself.
   */
  const expected = (target: Role, port: number, present: Role[]) => {
    const out = new Set<string>();
    for (const f of flowsTo(target, all).filter((x) => x.port === port)) {
      for (const s of f.from) {
        if (s.kind === 'public' || s.kind === 'admin')
          ADMIN.forEach((c) => {
            out.add(`admin:${c}`);
          });
        if ((s.kind === 'public' || s.kind === 'bastion') && target !== 'gateway') out.add('bastion');
        if (s.kind === 'role' && present.includes(s.role)) out.add(s.role);
      }
    }
    return [...out].sort();
  };

  const perCandidate = ingress(synth('aws: {bastion: per-candidate}').get('flows-cand-alice')!);
  const shared = synth('');
  const perCohort = ingress(shared.get('flows-cand-alice')!);

  it("every port a server's nftables opens has its security-group rule, from the table's sources only (bastion per candidate)", () => {
    for (const [h, ports] of opened) {
      for (const port of ports) {
        expect(perCandidate.get(`${h.role}:${port}`), `${h.role}:${port}`).toEqual(expected(h.role as Role, port, [...ROLES]));
      }
    }
    // And nothing more: every rule of the stack is one of those ports.
    const nftPorts = new Set([...opened].flatMap(([h, ports]) => ports.map((p) => `${h.role}:${p}`)));
    for (const key of perCandidate.keys()) expect(nftPorts.has(key), key).toBe(true);
  });

  it("the same with the cohort's shared bastion: SSH to it from the trainers only, the candidate's groups as above", () => {
    const roles = ROLES.filter((r) => r !== 'gateway');
    for (const [h, ports] of opened) {
      if (h.role === 'gateway') continue;
      for (const port of ports)
        expect(perCohort.get(`${h.role}:${port}`), `${h.role}:${port}`).toEqual(expected(h.role as Role, port, roles));
    }
    expect([...ingress(shared.get('flows-network')!)]).toEqual([['gateway:22', ADMIN.map((c) => `admin:${c}`).sort()]]);
  });

  it('monitoring, logs and backups work on AWS: 9187, 6514 and 8432 between the roles that use them', () => {
    expect(perCohort.get('db:9187')).toEqual(['mon']);
    expect(perCohort.get('mon:6514')).toEqual(['app', 'db', 'k8s']);
    expect(perCandidate.get('mon:6514')).toEqual(['app', 'db', 'gateway', 'k8s']);
    expect(perCohort.get('mon:8432')).toEqual(['db']);
    expect(perCohort.get('db:8432')).toEqual(['mon']);
    expect(perCohort.get('app:8080')).toEqual(['mon']);
    expect(perCohort.get('db:5432')).toEqual(['app', 'db', 'k8s', 'mon']);
  });

  it("every port a server's nftables opens has an arrow in the diagram (a server's flow to itself is not drawn)", () => {
    const d = buildDiagram(local, candidateStates(local, serversOf(local), 'alice'), 'en');
    const node = (server: string) => `alice_${server}`;
    for (const [h, ports] of opened) {
      for (const port of ports) {
        const flows = flowsTo(h.role as Role, all).filter((f) => f.port === port);
        const drawn = d.edges.some(
          (e) => (e.from === node(h.server) || e.to === node(h.server)) && e.flows.some((id) => flows.some((f) => f.id === id)),
        );
        const onlyItself = flows.every((f) =>
          f.from.every((s) => s.kind === 'role' && hosts.filter((x) => x.role === s.role).every((x) => x === h)),
        );
        expect(drawn || onlyItself, `${h.server}:${port}`).toBe(true);
      }
    }
  });
});
