// The pure parts of `asd-lab access` and of the jump host: the model's defaults, what each jump
// account may open, the jump's sshd_config (checked by the real sshd -t), the nftables rules, and the
// files a candidate gets (ssh_config, known_hosts, inventory, card).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cohortSchema } from '../src/core/model/cohort.ts';
import { cohortPaths } from '../src/core/state.ts';
import {
  consolesCommand,
  renderCardHtml,
  renderKnownHosts,
  renderLaptopInventory,
  renderSshConfig,
  type AccessBundle,
} from '../src/evidence/access-card.ts';
import {
  dayAfter,
  fingerprint,
  jumpUser,
  keyRefusal,
  planJump,
  renderAuthorizedKeys,
  renderNft,
  renderSshdConfig,
  sshAlgorithms,
  trainerUser,
} from '../src/targets/local/jump.ts';
import { parse } from 'yaml';
import { KEY_A, KEY_B } from './helpers.ts';

const RSA_1024 =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+3sI1znXSMlpCdEybz4hl9c2vr6Kv9R/W6l1TOVAmx2cXcVxgJ4f3hFLFSElhcQVPJ9+lw/7+5HpwLpIy+82T0UGQZW9Sy/i4Z5fPULDfctJgHUG+q8cTSKuj1PmLhptv2LvyZ5XXX1CsPH7ynAiyr6//uYfTxZU61l3cFoORkw== old@test';

const cohort = cohortSchema.parse({
  cohort: 'acc-unit',
  expires: '2030-01-31',
  admin: { sshKeys: [KEY_B] },
  local: { subnetPool: '10.231.240.0/24', subnetPrefix: 28 },
  candidates: [
    { id: 'ann', name: 'Ann Dupont', sshKey: KEY_A },
    { id: 'bob', sshKey: KEY_B },
  ],
  servers: [
    { name: 'gateway', role: 'gateway', memoryMiB: 256 },
    { name: 'mon', role: 'mon', memoryMiB: 256 },
  ],
});
const algos = sshAlgorithms();

describe('the cohort access section', () => {
  it('defaults to port 2222 on every address, the host chosen at access time', () => {
    const c = cohortSchema.parse({ cohort: 'x', candidates: [{ id: 'a', sshKey: KEY_A }] });
    expect(c.access).toEqual({ port: 2222, listen: [] });
  });
  it('refuses a port out of range and a listen entry that is not an address', () => {
    const r = cohortSchema.safeParse({
      cohort: 'x',
      access: { port: 70000, listen: ['eth0'] },
      candidates: [{ id: 'a', sshKey: KEY_A }],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['access.port', 'access.listen.0']));
  });
});

describe('the jump plan', () => {
  const plan = planJump(cohort, algos);
  it('gives each candidate an account that opens only their own servers (SSH, and the consoles on mon)', () => {
    const ann = plan.accounts.find((a) => a.candidate === 'ann')!;
    expect(ann.user).toBe(jumpUser('acc-unit', 'ann'));
    expect(ann.user.length).toBeLessThanOrEqual(32);
    expect(ann.permitOpen).toEqual(['10.231.240.10:22', '10.231.240.11:22', '10.231.240.11:9090', '10.231.240.11:9093']);
    const bob = plan.accounts.find((a) => a.candidate === 'bob')!;
    expect(bob.permitOpen.every((o) => o.startsWith('10.231.240.2'))).toBe(true);
  });
  it("gives the trainers one account that opens every candidate's servers", () => {
    const tr = plan.accounts.find((a) => a.candidate === null)!;
    expect(tr.user).toBe(trainerUser('acc-unit'));
    expect(tr.permitOpen).toHaveLength(8);
  });
  it('expires the accounts the day after the last day of the cohort', () => {
    expect(plan.expireDate).toBe('2030-02-01');
    expect(dayAfter('2028-02-28')).toBe('2028-02-29');
  });
  it('refuses keys the ssh policy refuses, and says why', () => {
    expect(keyRefusal(KEY_A, algos)).toBeNull();
    expect(keyRefusal(RSA_1024, algos)).toMatch(/RSA key of 1024 bits.*2048/);
    expect(keyRefusal('ssh-dss AAAAB3NzaC1kc3M= x', algos)).toMatch(/ssh-dss/);
    const weak = { ...cohort, candidates: [{ ...cohort.candidates[0]!, sshKey: RSA_1024 }, cohort.candidates[1]!] };
    const p = planJump(weak, algos);
    expect(p.refused).toEqual([{ candidate: 'ann', reason: expect.stringMatching(/1024/) }]);
    expect(p.accounts.map((a) => a.candidate)).toEqual(['bob', null]);
  });
  it('drops the consoles when the monitoring module is off', () => {
    const p = planJump({ ...cohort, modules: { ...cohort.modules, monitoring: false } }, algos);
    expect(p.accounts[0]!.permitOpen).toEqual(['10.231.240.10:22', '10.231.240.11:22']);
  });
});

describe("the jump's sshd", () => {
  const plan = planJump(cohort, algos);
  const paths = cohortPaths('acc-unit', '/var/lib/asd-lab').jump;
  const config = renderSshdConfig(plan, paths, algos);
  it('allows forwarding to PermitOpen only and no session, with the ssh role algorithms (no NIST curves)', () => {
    for (const line of [
      'Port 2222',
      'MaxSessions 0',
      'AllowTcpForwarding local',
      'PermitOpen none',
      'PermitTTY no',
      'X11Forwarding no',
      'AllowAgentForwarding no',
      'PermitTunnel no',
      'UsePAM no',
      `AuthorizedKeysFile ${paths.authorizedKeys}/%u`,
      `Match User ${jumpUser('acc-unit', 'ann')}`,
      '    PermitOpen 10.231.240.10:22 10.231.240.11:22 10.231.240.11:9090 10.231.240.11:9093',
    ]) {
      expect(config.split('\n')).toContain(line);
    }
    expect(config).not.toMatch(/ecdh-sha2-nistp/);
    expect(config).toMatch(/^AllowUsers asdj-\w+-ann asdj-\w+-bob asdj-\w+_trainer$/m);
  });
  it('is accepted by sshd -t', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asd-jump-unit-'));
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const file = join(dir, 'sshd_config');
    writeFileSync(
      file,
      renderSshdConfig(plan, { ...paths, hostKey: join(dir, 'k'), moduli: '/etc/ssh/moduli', pid: join(dir, 'pid') }, algos),
    );
    // -t needs the accounts only for Match blocks evaluated with -C; the syntax is checked here.
    const r = await execa('/usr/sbin/sshd', ['-t', '-f', file], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
  it('restricts the key itself too, and nftables lets each account reach only its servers', () => {
    const ann = plan.accounts[0]!;
    expect(renderAuthorizedKeys(ann)).toBe(
      `restrict,port-forwarding,permitopen="10.231.240.10:22",permitopen="10.231.240.11:22",permitopen="10.231.240.11:9090",permitopen="10.231.240.11:9093" ${KEY_A}\n`,
    );
    const nft = renderNft('asd_lab_jump_x', [{ ...ann, uid: 990 }]);
    expect(nft).toContain(
      'meta skuid 990 ip daddr . tcp dport { 10.231.240.10 . 22, 10.231.240.11 . 22, 10.231.240.11 . 9090, 10.231.240.11 . 9093 } accept',
    );
    expect(nft).toMatch(/meta skuid 990 counter drop/);
  });
  it('prints fingerprints as ssh-keygen does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asd-fp-'));
    writeFileSync(join(dir, 'k.pub'), `${KEY_A}\n`);
    const r = await execa('ssh-keygen', ['-l', '-f', join(dir, 'k.pub')]);
    expect(r.stdout.split(' ')[1]).toBe(fingerprint(KEY_A));
  });
});

const bundle: AccessBundle = {
  cohort: 'acc-unit',
  candidate: 'ann',
  displayName: 'Ann Dupont',
  jump: { host: '192.0.2.2', port: 2222, user: 'asdj-abcdef-ann', hostKeys: [KEY_B], fingerprint: fingerprint(KEY_B) },
  servers: [
    {
      alias: 'gateway',
      inventoryName: 'ann-gateway',
      role: 'gateway',
      address: '10.231.240.10',
      user: 'ann',
      hostKeys: ['ssh-ed25519 AAAAgw', 'ssh-rsa AAAArsa'],
    },
    {
      alias: 'mon',
      inventoryName: 'ann-mon',
      role: 'mon',
      address: '10.231.240.11',
      user: 'ann',
      hostKeys: ['ssh-ed25519 AAAAmon'],
    },
  ],
  expires: '2030-01-31',
  consoles: [{ alias: 'mon', address: '10.231.240.11', prometheus: 9090, alertmanager: 9093 }],
};

describe("a candidate's files", () => {
  it('ssh_config: the jump, then one Host per server through it, keys pinned and checked strictly', async () => {
    const text = renderSshConfig(bundle);
    expect(text).toContain(
      'Host jump\n    HostName 192.0.2.2\n    Port 2222\n    User asdj-abcdef-ann\n    HostKeyAlias acc-unit.jump.asd-lab\n',
    );
    expect(text).toContain(
      'Host gateway\n    HostName 10.231.240.10\n    User ann\n    ProxyJump jump\n    HostKeyAlias acc-unit.gateway.asd-lab\n',
    );
    expect(text).toContain('StrictHostKeyChecking yes');
    expect(text).not.toMatch(/IdentityFile|\/var\/lib|\/tmp/);
    // What ssh itself makes of it.
    const dir = mkdtempSync(join(tmpdir(), 'asd-access-unit-'));
    writeFileSync(join(dir, 'ssh_config'), text);
    const g = await execa('ssh', ['-G', '-F', join(dir, 'ssh_config'), 'mon']);
    expect(g.stdout).toMatch(/^proxyjump jump$/m);
    expect(g.stdout).toMatch(/^hostname 10\.231\.240\.11$/m);
    expect(g.stdout).toMatch(/^stricthostkeychecking true$/m);
  });
  it('known_hosts: the jump key and every server key under the aliases', () => {
    expect(renderKnownHosts(bundle).split('\n')).toEqual([
      `acc-unit.jump.asd-lab ${KEY_B.split(' ').slice(0, 2).join(' ')}`,
      'acc-unit.gateway.asd-lab ssh-ed25519 AAAAgw',
      'acc-unit.gateway.asd-lab ssh-rsa AAAArsa',
      'acc-unit.mon.asd-lab ssh-ed25519 AAAAmon',
      '',
    ]);
  });
  it("inventory.yml: the lab's host names, groups by role, ssh through the files next to it", () => {
    const inv = parse(renderLaptopInventory(bundle)) as {
      all: { vars: Record<string, string>; hosts: Record<string, Record<string, string>>; children: Record<string, unknown> };
    };
    expect(inv.all.hosts['ann-mon']).toEqual({ ansible_host: 'mon', ansible_user: 'ann' });
    expect(inv.all.children).toEqual({ gateway: { hosts: { 'ann-gateway': null } }, mon: { hosts: { 'ann-mon': null } } });
    expect(inv.all.vars.ansible_ssh_common_args).toContain('-F "{{ inventory_dir }}/ssh_config"');
    expect(inv.all.vars.ansible_ssh_common_args).toContain('ProxyCommand=\'ssh -F "{{ inventory_dir }}/ssh_config"');
  });
  it('the card: servers, the command, the fingerprint, the consoles and the expiry, in French and English', () => {
    const fr = renderCardHtml(bundle, 'fr');
    for (const s of [
      'Accès à votre lab',
      'Ann Dupont',
      'gateway',
      'mon',
      'ssh -F ssh_config gateway',
      fingerprint(KEY_B),
      '2030-01-31',
    ]) {
      expect(fr).toContain(s);
    }
    expect(fr).toContain(consolesCommand(bundle.consoles[0]!));
    expect(consolesCommand(bundle.consoles[0]!)).toBe(
      'ssh -F ssh_config -N -L 9090:10.231.240.11:9090 -L 9093:10.231.240.11:9093 jump',
    );
    expect(renderCardHtml(bundle, 'en')).toContain('Access to your lab');
  });
});
