// `up --dry-run`: what up would create or change, and nothing created (no state directory, no
// image, no package). Also the first line of up: which cohort file, and why.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { planUp } from '../src/lifecycle/up.ts';
import { cli, KEY_A, KEY_B, NOW } from './helpers.ts';

setLang('en');
const tmp = mkdtempSync(join(tmpdir(), 'asd-lab-dry-'));
const text = `cohort: promo
candidates:
  - id: alice
    sshKey: ${KEY_A}
  - id: bob
    sshKey: ${KEY_B}
    overrides: {servers: [{name: app, role: app}, {name: db1, role: db}]}
`;
const file = join(tmp, 'promo.yaml');
writeFileSync(file, text);
const names = ['alice-gateway', 'alice-app', 'alice-db1', 'alice-db2', 'alice-mon', 'bob-app', 'bob-db1'];

describe('up --dry-run', () => {
  it('names every server, network and the Ansible run, and creates nothing', async () => {
    const state = join(tmp, 'state');
    const r = await cli(['-c', file, 'up', '--dry-run'], { ASD_LAB_STATE: state });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`cohort file: ${file} (given with -c)`);
    expect(lines[1]).toContain('dry run: nothing is created');
    for (const n of names) expect(r.stdout).toMatch(new RegExp(`server ${n} \\(10\\.98\\.\\d+\\.\\d+/24, .*\\): to create`));
    expect(r.stdout).toMatch(/network asd-[0-9a-f]+-0 \(10\.98\.0\.0\/24, gateway 10\.98\.0\.1\): to create/);
    expect(r.stdout).toMatch(/network asd-[0-9a-f]+-1 \(10\.98\.1\.0\/24/);
    expect(r.stdout).toContain('limited to candidate_alice');
    expect(r.stdout).toContain('limited to candidate_bob');
    expect(r.stdout).toContain('golden image: to build');
    expect(existsSync(state)).toBe(false);
  });

  it('--json: the plan on stdout, the cohort file line on stderr; --candidate narrows it', async () => {
    const state = join(tmp, 'state-json');
    const r = await cli(['--json', '-c', file, 'up', '--dry-run', '--candidate', 'bob', '--no-verify'], { ASD_LAB_STATE: state });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`cohort file: ${file} (given with -c)`);
    const plan = JSON.parse(r.stdout) as {
      candidates: { id: string; servers: { name: string; action: string }[] }[];
      verify: boolean;
    };
    expect(plan.candidates.map((c) => c.id)).toEqual(['bob']);
    expect(plan.candidates[0]!.servers).toEqual([
      expect.objectContaining({ name: 'bob-app', action: 'create' }),
      expect.objectContaining({ name: 'bob-db1', action: 'create' }),
    ]);
    expect(plan.verify).toBe(false);
    expect(existsSync(state)).toBe(false);
  });

  it('tells a server that exists (to start) from one to create', async () => {
    const state = join(tmp, 'state-existing');
    const dir = join(state, 'servers', 'alice-app');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'server.env'), 'COHORT=promo\nCANDIDATE=alice\nNAME=alice-app\nROLE=app\nDRIVER=container\n');
    const plan = await planUp(parseCohort(text, file, { now: NOW }), { stateDir: state, candidate: 'alice' });
    expect(plan.candidates[0]!.servers.map((s) => [s.name, s.action])).toEqual([
      ['alice-gateway', 'create'],
      ['alice-app', 'start'],
      ['alice-db1', 'create'],
      ['alice-db2', 'create'],
      ['alice-mon', 'create'],
    ]);
  });
});
