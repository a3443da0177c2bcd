// Preflight of the local target on host snapshots: every problem is found before anything is made.
import { describe, expect, it } from 'vitest';
import { cohortSchema } from '../src/core/model/cohort.ts';
import {
  checkHost,
  INOTIFY_PER_SERVER,
  inotifyShortfall,
  planCohort,
  TOOLS,
  type HostSnapshot,
  type LocalServer,
} from '../src/targets/local/index.ts';
import { KEY_A } from './helpers.ts';

const cohort = cohortSchema.parse({
  cohort: 'promo',
  candidates: [
    { id: 'alice', sshKey: KEY_A },
    { id: 'bob', sshKey: KEY_A },
  ],
});
const plans = planCohort(cohort);

const clean = (over: Partial<HostSnapshot> = {}): HostSnapshot => ({
  uid: 0,
  tools: new Set(TOOLS.map((t) => t.command)),
  links: [
    { name: 'lo', alias: '' },
    { name: 'eth0', alias: '' },
  ],
  routes: [{ dst: '192.0.2.0/24', dev: 'eth0' }],
  addrs: [{ dev: 'eth0', cidr: '192.0.2.2/24' }],
  servers: [],
  kvm: null,
  ...over,
});

const server = (over: Partial<LocalServer>): LocalServer => ({
  cohort: 'promo',
  candidate: 'alice',
  name: 'alice-app',
  role: 'app',
  driver: 'container',
  state: 'running',
  address: '10.98.0.11',
  cidr: '10.98.0.11/24',
  gateway: '10.98.0.1',
  bridge: plans[0]!.bridge,
  memoryMiB: 768,
  cpus: 1,
  sshPort: 22,
  user: 'asd-admin',
  keyPath: '/k',
  knownHostsFile: '/kh',
  dir: '/d',
  ...over,
});

const container = { driver: 'container' as const, accel: 'auto' as const };

describe('local preflight', () => {
  it('accepts a clean host, and a second "up" of the same lab (its own bridges, routes and servers)', () => {
    expect(checkHost(cohort, plans, clean(), container)).toEqual([]);
    const again = clean({
      links: [{ name: plans[0]!.bridge, alias: 'asd-lab cohort=promo candidate=alice' }],
      routes: [{ dst: plans[0]!.subnet, dev: plans[0]!.bridge }],
      addrs: [{ dev: plans[0]!.bridge, cidr: plans[0]!.gatewayCidr }],
      servers: [server({})],
    });
    expect(checkHost(cohort, plans, again, container)).toEqual([]);
  });

  it("finds when root's inotify limit is too low for the servers to boot, counting only servers not running yet", () => {
    const all = plans.flatMap((p) => p.servers).length; // 2 candidates x 5 servers
    // Debian's default: 128 instances, 100 already open (15 servers running elsewhere, say).
    expect(inotifyShortfall(plans, clean({ inotify: { limit: 128, inUse: 100 } }), 'container')).toEqual({
      limit: 128,
      servers: all,
      needed: 100 + all * INOTIFY_PER_SERVER + 64,
    });
    expect(inotifyShortfall(plans, clean({ inotify: { limit: 8192, inUse: 100 } }), 'container')).toBeUndefined();
    // A second up of a running lab starts nothing, so needs nothing more.
    const running = plans.flatMap((p) => p.servers).map((x) => server({ name: x.name, candidate: x.name.split('-')[0] }));
    expect(
      inotifyShortfall(plans, clean({ inotify: { limit: 128, inUse: 120 }, servers: running }), 'container'),
    ).toBeUndefined();
    // One stopped server gets booted again: it counts.
    const oneStopped = running.map((x, i) => (i === 0 ? { ...x, state: 'stopped' as const } : x));
    expect(
      inotifyShortfall(plans, clean({ inotify: { limit: 128, inUse: 120 }, servers: oneStopped }), 'container')?.servers,
    ).toBe(1);
    // VMs run their own kernel: the host's limit is not theirs.
    expect(inotifyShortfall(plans, clean({ inotify: { limit: 128, inUse: 120 } }), 'vm')).toBeUndefined();
  });

  it('refuses a non-root user and names the missing tools with their apt command', () => {
    const tools = new Set([...TOOLS.map((t) => t.command)].filter((c) => c !== 'systemd-nspawn' && c !== 'nft'));
    const p = checkHost(cohort, plans, clean({ uid: 1000, tools }), container);
    expect(p[0]).toMatch(/needs root/);
    expect(p).toContain('systemd-nspawn is missing (container driver): install it with "apt-get install -y systemd-container"');
    expect(p).toContain('nft is missing (isolation between candidates): install it with "apt-get install -y nftables"');
    // qemu is needed by the vm driver only.
    const noQemu = new Set([...TOOLS.map((t) => t.command)].filter((c) => c !== 'qemu-system-x86_64'));
    expect(checkHost(cohort, plans, clean({ tools: noQemu }), container)).toEqual([]);
    expect(checkHost(cohort, plans, clean({ tools: noQemu }), { driver: 'vm', accel: 'tcg' })[0]).toMatch(/qemu-system-x86/);
  });

  it('refuses --accel kvm when KVM cannot boot Linux, but not tcg or auto', () => {
    const kvm = { usable: false, reason: 'a probe boot did not reach the kernel' };
    expect(checkHost(cohort, plans, clean({ kvm }), { driver: 'vm', accel: 'kvm' })).toEqual([
      'driver vm with --accel kvm, but KVM is not usable here: a probe boot did not reach the kernel; use --accel tcg (software emulation) or auto',
    ]);
    expect(checkHost(cohort, plans, clean({ kvm }), { driver: 'vm', accel: 'tcg' })).toEqual([]);
    expect(checkHost(cohort, plans, clean({ kvm }), { driver: 'vm', accel: 'auto' })).toEqual([]);
  });

  it('finds clashes with foreign interfaces, routes and addresses', () => {
    const p = checkHost(
      cohort,
      plans,
      clean({
        links: [{ name: plans[1]!.bridge, alias: '' }],
        routes: [
          { dst: '10.98.0.0/16', dev: 'wg0' },
          { dst: '10.98.1.7', dev: 'tun0' },
        ],
        addrs: [{ dev: 'docker0', cidr: '10.98.0.1/16' }],
      }),
      container,
    );
    expect(p).toContain(`interface ${plans[1]!.bridge} exists and was not created by asd-lab: remove it or rename the cohort`);
    expect(p).toContain(
      'subnet 10.98.0.0/24 of candidate alice overlaps the route 10.98.0.0/16 of interface wg0: choose another local.subnetPool',
    );
    expect(p).toContain(
      'subnet 10.98.1.0/24 of candidate bob overlaps the route 10.98.1.7 of interface tun0: choose another local.subnetPool',
    );
    expect(p).toContain('gateway address 10.98.0.1 is already held by interface docker0: choose another local.subnetPool');
  });

  it('finds servers of another cohort with the same machine name or address', () => {
    const p = checkHost(
      cohort,
      plans,
      clean({
        servers: [
          server({ cohort: 'other' }),
          server({ name: 'zed-x', cohort: 'other', candidate: 'zed', address: '10.98.1.10' }),
        ],
      }),
      container,
    );
    expect(p).toContain(
      'a server named "alice-app" already exists for cohort "other", candidate "alice": destroy that lab first or rename',
    );
    expect(p).toContain('address 10.98.1.10 of bob-gateway is already used by server zed-x');
  });
});

describe('host packages', () => {
  it('one list serves up and CI: it holds the package of every tool the preflight asks for, and no duplicate', async () => {
    const { hostPackages } = await import('../src/targets/local/packages.ts');
    const list = hostPackages();
    // coreutils and util-linux are Essential in Debian: always installed, never listed.
    for (const tool of TOOLS.filter((x) => !['coreutils', 'util-linux'].includes(x.pkg)))
      expect(list, `${tool.command} (${tool.pkg})`).toContain(tool.pkg);
    expect(list).toContain('ansible');
    expect(new Set(list).size).toBe(list.length);
  });
});
