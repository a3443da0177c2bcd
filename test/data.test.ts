// Unit tests of the data module (CP6): the model's defaults and refusals, and what it compiles to
// (roles, pg_hba lines, firewall rules, inventory variables). No server needed.
import { describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { buildInventory } from '../src/lifecycle/inventory.ts';
import { CohortError, parseCohort } from '../src/core/model/load.ts';
import { dataPlan, DataError, renderHba, type DataServer } from '../src/modules/data/generate.ts';
import { appContainerSources } from '../src/modules/data/inventory.ts';
import { KEY_A, NOW } from './helpers.ts';

setLang('en');
const parse = (text: string) => parseCohort(text, 'test.yaml', { now: NOW });
const minimal = `cohort: promo\ncandidates:\n  - id: alice\n    sshKey: ${KEY_A}\n`;

const LAB: DataServer[] = [
  { name: 'gateway', role: 'gateway', address: '10.0.0.10' },
  { name: 'app', role: 'app', address: '10.0.0.11' },
  { name: 'db1', role: 'db', address: '10.0.0.12' },
  { name: 'db2', role: 'db', address: '10.0.0.13' },
  { name: 'mon', role: 'mon', address: '10.0.0.14' },
];

function problems(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof CohortError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected the cohort to be refused');
}

/** Split a rendered pg_hba line into its fields (comments and blank lines dropped). */
const fields = (lines: string[]) => lines.filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/));

describe('data model', () => {
  it('gives a minimal cohort one application (shop) in test, preprod and prod, with backups', () => {
    const c = parse(minimal);
    expect(c.data.applications).toEqual([
      { name: 'shop', environments: ['test', 'preprod', 'prod'], clients: ['app', 'containers'], reporting: ['mon'] },
    ]);
    expect(c.data.backup).toMatchObject({
      fullRetention: 2,
      diffRetention: 7,
      fullSchedule: 'Sun *-*-* 01:00:00',
      diffSchedule: 'Mon..Sat *-*-* 01:00:00',
    });
    expect(c.data.maxReplicationLagSeconds).toBe(5);
  });

  it('refuses bad application names, duplicate applications, world-open and malformed sources', () => {
    const p = problems(`${minimal}data:
  applications:
    - name: Shop-1
    - name: crm
      clients: ['0.0.0.0/0', 'not a host!']
`);
    expect(p.join('\n')).toMatch(/data\.applications\[0\]\.name: must be an application name/);
    expect(p.join('\n')).toMatch(/0\.0\.0\.0\/0 would open the database to the whole Internet/);
    expect(p.join('\n')).toMatch(/must be a server name of the candidate's lab .* got "not a host!"/);
    expect(problems(`${minimal}data:\n  applications:\n    - name: crm\n    - name: crm\n`).join('\n')).toMatch(
      /application "crm" is listed twice/,
    );
  });

  it('refuses a retention of zero and an unknown key', () => {
    const p = problems(`${minimal}data:\n  backup:\n    fullRetention: 0\n  replicas: 3\n`);
    expect(p.join('\n')).toMatch(/data\.backup\.fullRetention/);
    expect(p.join('\n')).toMatch(/replicas/);
  });
});

describe('roles and pg_hba generated from the model', () => {
  const model = parse(minimal).data;
  const plan = dataPlan(model, LAB);
  const hba = renderHba(plan.hba);
  const rows = fields(hba);

  it('makes a database and three roles per application and environment, plus replication and monitoring', () => {
    expect(plan.databases.map((d) => d.name)).toEqual(['shop_test', 'shop_preprod', 'shop_prod']);
    const names = plan.roles.map((r) => r.name);
    for (const env of ['test', 'preprod', 'prod']) {
      expect(names).toEqual(expect.arrayContaining([`shop_${env}_owner`, `shop_${env}_app`, `shop_${env}_ro`]));
    }
    expect(plan.roles.find((r) => r.name === 'shop_prod_owner')).toMatchObject({ login: false });
    expect(plan.roles.find((r) => r.name === 'replicator')).toMatchObject({ login: true, replication: true });
    expect(plan.roles.find((r) => r.name === 'monitoring')).toMatchObject({ login: true, memberOf: ['pg_monitor'] });
    expect(plan.primary.name).toBe('db1');
    expect(plan.replicas.map((s) => s.name)).toEqual(['db2']);
    expect(plan.repo?.name).toBe('mon');
  });

  it('uses scram-sha-256 over TLS for every accepted network login, and never trust', () => {
    expect(hba.join('\n')).not.toMatch(/\btrust\b|\bmd5\b|\bpassword\b/);
    for (const r of rows.filter((r) => r[0] !== 'local')) {
      if (r[4] !== 'reject') {
        expect(r[0]).toBe('hostssl');
        expect(r[4]).toBe('scram-sha-256');
        expect(r[3]).toMatch(/\/32$/);
      }
    }
  });

  it('refuses the superuser over the network before any other network line', () => {
    const firstHost = rows.findIndex((r) => r[0] !== 'local');
    expect(rows[firstHost]).toEqual(['host', 'all', 'postgres', '0.0.0.0/0', 'reject']);
    expect(rows.some((r) => r[0] !== 'local' && r[2] === 'postgres' && r[4] !== 'reject')).toBe(false);
    expect(rows.at(-1)?.[4]).toBe('reject');
  });

  it('lets each application role reach only its own database, from its own sources', () => {
    const accepted = rows.filter((r) => r[0] === 'hostssl' && r[1] !== 'replication');
    for (const r of accepted) expect(r[2]!.startsWith(`${r[1]}_`)).toBe(true); // shop_test_app only on shop_test
    expect(accepted.filter((r) => r[2] === 'shop_test_app').map((r) => r[1])).toEqual(['shop_test']);
    expect(accepted.some((r) => r[1] === 'shop_prod' && r[2] === 'shop_test_app')).toBe(false);
    expect(accepted.find((r) => r[2] === 'shop_prod_app')?.[3]).toBe('10.0.0.11/32');
    expect(accepted.find((r) => r[2] === 'shop_prod_ro')?.[3]).toBe('10.0.0.14/32');
    // nothing accepted from the gateway
    expect(rows.some((r) => r[3] === '10.0.0.10/32')).toBe(false);
  });

  it('allows replication only between the db servers, and metrics only on the local socket', () => {
    expect(rows.filter((r) => r[1] === 'replication' && r[4] !== 'reject').map((r) => `${r[2]} ${r[3]}`)).toEqual([
      'replicator 10.0.0.12/32',
      'replicator 10.0.0.13/32',
    ]);
    expect(rows.filter((r) => r.includes('monitoring'))).toEqual([['local', 'all', 'monitoring', 'peer', 'map=monitoring']]);
  });

  it("opens 5432 on the db servers only to the model's clients and the other db server", () => {
    expect(plan.firewall.db1).toEqual([
      'tcp dport 5432 ip saddr { 10.0.0.11/32, 10.0.0.14/32, 10.0.0.13/32 } ct state new accept comment "asd-lab data: PostgreSQL clients of the model and replication"',
      'tcp dport 8432 ip saddr { 10.0.0.14/32 } ct state new accept comment "asd-lab data: pgBackRest repository"',
    ]);
    expect(plan.firewall.mon).toEqual([
      'tcp dport 8432 ip saddr { 10.0.0.12/32, 10.0.0.13/32 } ct state new accept comment "asd-lab data: pgBackRest from the db servers"',
    ]);
    expect(plan.firewall.app).toBeUndefined();
  });

  it('follows per-environment sources and CIDRs', () => {
    const m = parse(`${minimal}data:
  applications:
    - name: crm
      environments: [test, prod]
      clients: [app]
      clientsByEnv:
        test: ['192.0.2.0/24']
      reporting: []
`).data;
    const p = dataPlan(m, LAB);
    expect(p.databases.map((d) => [d.name, d.appSources, d.readonlySources])).toEqual([
      ['crm_test', ['192.0.2.0/24'], []],
      ['crm_prod', ['10.0.0.11/32'], []],
    ]);
    const r = fields(renderHba(p.hba));
    expect(r.filter((x) => x[2] === 'crm_test_app').map((x) => x[3])).toEqual(['192.0.2.0/24']);
    expect(r.some((x) => x[2] === 'crm_prod_ro')).toBe(false);
  });

  it('refuses a source that is not a server of the lab, and a lab without db server, with a clear message', () => {
    const m = parse(`${minimal}data:\n  applications:\n    - name: shop\n      clients: [web9]\n`).data;
    expect(() => dataPlan(m, LAB, { strict: true })).toThrow(DataError);
    expect(() => dataPlan(m, LAB, { strict: true })).toThrow(
      /"web9" is neither a CIDR nor a server of this lab \(servers: gateway, app, db1, db2, mon\)/,
    );
    expect(() =>
      dataPlan(
        model,
        LAB.filter((s) => s.role !== 'db'),
      ),
    ).toThrow(/no server of role db/);
    // Lenient (inventory of a lab without that server, or where it is not running): it grants nothing.
    const lenient = dataPlan(m, LAB);
    expect(lenient.unresolved).toContainEqual({ where: 'data.applications[shop].test', source: 'web9' });
    expect(fields(renderHba(lenient.hba)).some((r) => r[2] === 'shop_test_app' && r[4] !== 'reject')).toBe(false);
  });

  it('puts the other db server first after a failover', () => {
    const p = dataPlan(model, LAB, { primary: 'db2' });
    expect(p.primary.name).toBe('db2');
    expect(p.replicas.map((s) => s.name)).toEqual(['db1']);
    expect(() => dataPlan(model, LAB, { primary: 'app' })).toThrow(/not a db server/);
  });
});

describe('inventory variables of the data module', () => {
  const cohort = parse(minimal);
  const hosts = LAB.map((s) => ({ candidate: 'alice', server: s.name, role: s.role, address: s.address, subnet: '10.0.0.0/24' }));
  const inv = buildInventory(cohort, hosts, { keyPath: '/k', pkiDir: '/pki' }) as {
    all: { hosts: Record<string, Record<string, unknown>> };
  };
  const hv = inv.all.hosts;

  it("gives the db servers their pg_hba, roles and firewall rules, the mon server the repository's, the others nothing", () => {
    expect(hv['alice-db1']!.data_pg_hba).toEqual(
      renderHba(dataPlan(cohort.data, LAB, { containers: appContainerSources(cohort, 'alice') }).hba),
    );
    expect(hv['alice-db1']!.data_model_primary).toBe('db1');
    expect(hv['alice-db2']!.data_firewall_rules).toHaveLength(2);
    expect(hv['alice-mon']!.data_repo).toEqual({ name: 'mon', address: '10.0.0.14', cn: 'alice-mon' });
    expect(hv['alice-mon']!.data_pg_hba).toBeUndefined();
    expect(Object.keys(hv['alice-app']!).filter((k) => k.startsWith('data_'))).toEqual([]);
  });

  it("grants each environment's database to that environment's containers only (local target)", () => {
    const byEnv = appContainerSources(cohort, 'alice')!;
    const plan = dataPlan(cohort.data, LAB, { containers: byEnv });
    for (const env of ['test', 'preprod', 'prod'] as const) {
      expect(byEnv[env]!.length).toBeGreaterThan(0);
      const own = plan.databases.find((d) => d.env === env)!.appSources;
      expect(own).toEqual(['10.0.0.11/32', ...byEnv[env]!.map((a) => `${a}/32`)]);
      for (const other of (['test', 'preprod', 'prod'] as const).filter((e) => e !== env)) {
        for (const a of byEnv[other]!) expect(own, `${env} database, ${other} container ${a}`).not.toContain(`${a}/32`);
      }
    }
    // On the AWS target there are no such containers: the source grants nothing.
    expect(appContainerSources({ ...cohort, target: 'aws' }, 'alice')).toEqual({});
  });

  it('adds nothing when the data module is off', () => {
    const off = parse(`${minimal}modules:\n  data: false\n`);
    const i = buildInventory(off, hosts, { keyPath: '/k', pkiDir: '/pki' }) as typeof inv;
    expect(Object.keys(i.all.hosts['alice-db1']!).filter((k) => k.startsWith('data_'))).toEqual([]);
  });
});

describe("access cases of CP6.2 and the db command's refusals", async () => {
  const { accessCases } = await import('../src/modules/data/checks.ts');
  const { cli } = await import('./helpers.ts');
  const cohort = parse(minimal);
  const servers = LAB.map((s) => ({ ...s, state: 'running' as const, sshPort: 22, user: 'asd-admin', keyPath: '/k' }));
  const plan = dataPlan(cohort.data, LAB);
  const byName = (n: string) => servers.find((s) => s.name === n)!;
  const lab = {
    cohort,
    candidate: 'alice',
    plan,
    servers,
    primary: byName('db1'),
    replicas: [byName('db2')],
    repo: byName('mon'),
    stateDir: '/nonexistent',
    inventory: '/nonexistent',
  };

  it('tries every case of the specification, each from the right server, expecting the right outcome', () => {
    const cases = accessCases(lab).map((c) => [c.id, c.from?.name ?? null, c.expect]);
    expect(cases).toEqual([
      ['shop_prod_app writes shop_prod (TLS, scram)', 'app', 'accepted'],
      ['shop_prod_app without TLS is refused', 'app', 'refused'],
      ['shop_prod_ro reads shop_prod', 'mon', 'accepted'],
      ['shop_prod_ro cannot write (read-only transactions)', 'mon', 'refused'],
      ['shop_prod_ro cannot write even in a read-write transaction (grants)', 'mon', 'refused'],
      ['superuser postgres over the network is refused', 'app', 'refused'],
      ['monitoring over the network is refused (local socket only)', 'app', 'refused'],
      ['shop_prod_app from an unlisted host (gateway) is refused', 'gateway', 'refused'],
      ['shop_test_app reaches shop_test', 'app', 'accepted'],
      ['shop_test_app cannot reach shop_prod', 'app', 'refused'],
    ]);
  });

  it('reports a case as not runnable when no running server is its source', () => {
    const down = servers.map((s) => (s.name === 'app' ? { ...s, state: 'stopped' as const } : s));
    const cases = accessCases({ ...lab, servers: down });
    expect(cases.filter((c) => c.from === undefined).map((c) => c.id)).toContain('shop_prod_app writes shop_prod (TLS, scram)');
  });

  it('db refuses bad input before touching anything, in English and French', async () => {
    const bad = await cli(['db', 'backup', 'alice', '--type', 'weekly']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid --type "weekly": full, diff or incr/);
    const fr = await cli(['--lang', 'fr', 'db', 'restore-check', 'candidate', '--target-time', 'hier']);
    expect(fr.code).toBe(2);
    expect(fr.stderr).toMatch(/--target-time invalide "hier"/);
    const unknown = await cli(['db', 'status', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nobody/);
  });
});
