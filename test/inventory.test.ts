import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildInventory, renderInventory } from '../src/lifecycle/inventory.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { KEY_A, KEY_B, NOW } from './helpers.ts';

const cohort = parseCohort(
  `cohort: promo
admin: {cidrs: [203.0.113.0/24]}
candidates:
  - {id: alice, name: Alice, sshKey: "${KEY_A}"}
  - {id: bob-2, sshKey: "${KEY_B}"}
`,
  't.yaml',
  { now: NOW },
);

describe('inventory', () => {
  const hosts = [
    { candidate: 'alice', server: 'app', role: 'app', address: '10.98.0.11', subnet: '10.98.0.0/24' },
    { candidate: 'alice', server: 'db1', role: 'db', address: '10.98.0.12', subnet: '10.98.0.0/24' },
    { candidate: 'bob-2', server: 'db1', role: 'db', address: '10.98.1.12', subnet: '10.98.1.0/24' },
  ];
  const inv = parse(renderInventory(buildInventory(cohort, hosts, { keyPath: '/k', pkiDir: '/pki' }))) as {
    all: {
      vars: Record<string, unknown>;
      hosts: Record<string, Record<string, unknown>>;
      children: Record<string, { hosts: Record<string, null> }>;
    };
  };

  it('groups hosts by role and by candidate, with Ansible-safe group names', () => {
    expect(Object.keys(inv.all.children.db!.hosts).sort()).toEqual(['alice-db1', 'bob-2-db1']);
    expect(Object.keys(inv.all.children.app!.hosts)).toEqual(['alice-app']);
    expect(Object.keys(inv.all.children.candidate_bob_2!.hosts)).toEqual(['bob-2-db1']);
  });

  it('carries the per-host facts the roles need', () => {
    expect(inv.all.hosts['alice-db1']).toMatchObject({
      ansible_host: '10.98.0.12',
      lab_candidate: 'alice',
      lab_candidate_name: 'Alice',
      lab_role: 'db',
      lab_server: 'db1',
      lab_subnet: '10.98.0.0/24',
      lab_env: 'prod',
      lab_candidate_ssh_keys: [KEY_A],
    });
    expect(inv.all.hosts['bob-2-db1']!.lab_candidate_ssh_keys).toEqual([KEY_B]);
    expect(inv.all.vars).toMatchObject({
      ansible_user: 'asd-admin',
      ansible_ssh_private_key_file: '/k',
      lab_pki_dir: '/pki',
      lab_admin_cidrs: ['203.0.113.0/24'],
    });
  });

  it('refuses a host of a candidate that is not in the cohort', () => {
    expect(() => buildInventory(cohort, [{ ...hosts[0]!, candidate: 'mallory' }], { keyPath: '/k', pkiDir: '/p' })).toThrow(
      /unknown candidate mallory/,
    );
  });
});
