// Address plan and names of the local target: pure functions, no host access.
import { describe, expect, it } from 'vitest';
import { cohortSchema } from '../src/core/model/cohort.ts';
import {
  allocateSubnets,
  bridgeName,
  cohortHash,
  gatewayOf,
  LocalError,
  machineName,
  maxServers,
  overlaps,
  planCandidate,
  planCohort,
  resolveStateDir,
  serverAddresses,
  subnetCapacity,
} from '../src/targets/local/index.ts';
import { KEY_A } from './helpers.ts';

const cohortOf = (count: number, local: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  cohortSchema.parse({
    cohort: 'promo-2026',
    candidates: Array.from({ length: count }, (_, i) => ({ id: `cand${i}`, sshKey: KEY_A })),
    local,
    ...extra,
  });

const toInt = (ip: string) => ip.split('.').reduce((n, b) => n * 256 + Number(b), 0);

describe('subnet allocation', () => {
  it('gives 200 candidates 200 disjoint /24 subnets inside the default pool', () => {
    const subnets = allocateSubnets('10.98.0.0/16', 24, 200);
    expect(subnets).toHaveLength(200);
    expect(new Set(subnets).size).toBe(200);
    expect(subnets[0]).toBe('10.98.0.0/24');
    expect(subnets[199]).toBe('10.98.199.0/24');
    for (let i = 0; i < subnets.length; i++) {
      expect(overlaps(subnets[i]!, '10.98.0.0/16')).toBe(true);
      for (let j = i + 1; j < subnets.length; j++) expect(overlaps(subnets[i]!, subnets[j]!)).toBe(false);
    }
  });

  it('plans 200 candidates with distinct bridges, subnets and server addresses', () => {
    const plans = planCohort(cohortOf(200));
    expect(new Set(plans.map((p) => p.bridge)).size).toBe(200);
    expect(new Set(plans.map((p) => p.subnet)).size).toBe(200);
    const ips = plans.flatMap((p) => [p.gateway, ...p.servers.map((s) => s.ip)]);
    expect(new Set(ips).size).toBe(ips.length);
    for (const p of plans) {
      expect(p.bridge.length).toBeLessThanOrEqual(15);
      expect(p.gateway.endsWith('.1')).toBe(true);
      for (const s of p.servers) expect(overlaps(s.address, p.subnet)).toBe(true);
    }
    expect(plans[3]!.servers.map((s) => s.address)).toEqual([
      '10.98.3.10/24',
      '10.98.3.11/24',
      '10.98.3.12/24',
      '10.98.3.13/24',
      '10.98.3.14/24',
    ]);
    expect(plans[3]!.servers.map((s) => s.name)).toEqual(['cand3-gateway', 'cand3-app', 'cand3-db1', 'cand3-db2', 'cand3-mon']);
  });

  it('cuts /28 subnets when asked, five servers each', () => {
    const plans = planCohort(cohortOf(3, { subnetPool: '192.168.50.0/24', subnetPrefix: 28 }));
    expect(plans.map((p) => p.subnet)).toEqual(['192.168.50.0/28', '192.168.50.16/28', '192.168.50.32/28']);
    expect(plans[1]!.gatewayCidr).toBe('192.168.50.17/28');
    expect(plans[1]!.servers.map((s) => s.ip)).toEqual([
      '192.168.50.26',
      '192.168.50.27',
      '192.168.50.28',
      '192.168.50.29',
      '192.168.50.30',
    ]);
  });

  it('fails clearly when the pool is too small for the candidates', () => {
    expect(() => allocateSubnets('10.98.0.0/23', 24, 3)).toThrow(LocalError);
    expect(() => allocateSubnets('10.98.0.0/23', 24, 3)).toThrow(/10\.98\.0\.0\/23 holds 2 subnets of \/24, but 3 candidates/);
    expect(() => planCohort(cohortOf(300))).toThrow(/holds 256 subnets of \/24, but 300 candidates/);
    expect(subnetCapacity('10.98.0.0/16', 24)).toBe(256);
  });

  it('fails clearly when a subnet is too small for the servers, or the prefix does not fit the pool', () => {
    expect(maxServers(28)).toBe(5);
    expect(() => serverAddresses('10.0.0.0/28', 6, 'alice')).toThrow(/holds 5 servers \(from \.10\), but candidate alice has 6/);
    expect(() => allocateSubnets('10.98.0.0/24', 16, 1)).toThrow(/\/16 does not fit/);
    expect(() => allocateSubnets('fd00::/48', 64, 1)).toThrow(/IPv4/);
    const six = Array.from({ length: 6 }, (_, i) => ({ name: `s${i}`, role: 'app' }));
    expect(() => planCohort(cohortOf(1, { subnetPrefix: 28 }, { servers: six }))).toThrow(/candidate cand0 has 6/);
  });

  it('normalizes a pool written with host bits and computes the gateway', () => {
    expect(allocateSubnets('10.98.7.9/16', 24, 1)).toEqual(['10.98.0.0/24']);
    expect(gatewayOf('10.98.4.0/24')).toEqual({ ip: '10.98.4.1', cidr: '10.98.4.1/24' });
    expect(toInt('10.98.4.1') - toInt('10.98.4.0')).toBe(1);
  });
});

describe('names', () => {
  it('bridge names are deterministic, distinct across cohorts and fit IFNAMSIZ', () => {
    expect(bridgeName('promo-2026', 0)).toBe(bridgeName('promo-2026', 0));
    expect(bridgeName('promo-2026', 0)).not.toBe(bridgeName('promo-2027', 0));
    expect(bridgeName('promo-2026', 9999)).toMatch(/^asd-[0-9a-f]{6}-9999$/);
    expect(bridgeName('promo-2026', 9999).length).toBeLessThanOrEqual(15);
    expect(cohortHash('x')).toHaveLength(6);
    expect(() => bridgeName('promo-2026', 10000)).toThrow(/at most 10000 candidates/);
  });

  it('machine names are "<candidate>-<server>" and clashes inside a cohort are reported', () => {
    expect(machineName('alice', 'db1')).toBe('alice-db1');
    // The longest ids the model allows (20 + 12) still make a valid host name.
    expect(machineName('a'.repeat(20), 'b'.repeat(12))).toHaveLength(33);
    const clash = cohortSchema.parse({
      cohort: 'c',
      candidates: [
        { id: 'a-b', sshKey: KEY_A, overrides: { servers: [{ name: 'c', role: 'app' }] } },
        { id: 'a', sshKey: KEY_A, overrides: { servers: [{ name: 'b-c', role: 'app' }] } },
      ],
    });
    expect(() => planCohort(clash)).toThrow(/machine name "a-b-c" is given by both a-b\/c and a\/b-c/);
  });

  it('a candidate that is not in the cohort is an error', () => {
    const c = cohortOf(2);
    expect(() => planCandidate(c, { id: 'nobody', sshKey: KEY_A })).toThrow(/candidate "nobody" is not in cohort "promo-2026"/);
  });
});

describe('state directory', () => {
  it('is $ASD_LAB_STATE, else /var/lib/asd-lab for root, else ./.asd-lab', () => {
    expect(resolveStateDir({ ASD_LAB_STATE: '/srv/lab' }, 1000, '/home/u')).toBe('/srv/lab');
    expect(resolveStateDir({ ASD_LAB_STATE: 'rel' }, 0, '/home/u')).toBe('/home/u/rel');
    expect(resolveStateDir({}, 0, '/home/u')).toBe('/var/lib/asd-lab');
    expect(resolveStateDir({}, 1000, '/home/u')).toBe('/home/u/.asd-lab');
  });
});
