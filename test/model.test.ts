import { describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { serversOf, instanceTypesOf } from '../src/core/model/cohort.ts';
import { closestKey, CohortError, loadCohort, parseCohort } from '../src/core/model/load.ts';
import { KEY_A, KEY_B, NOW } from './helpers.ts';

setLang('en');
const parse = (text: string) => parseCohort(text, 'test.yaml', { now: NOW });

/** The problems of an invalid cohort, as "path: message" lines. */
function problems(text: string): { path: string; message: string }[] {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof CohortError) return err.problems;
    throw err;
  }
  throw new Error('expected the cohort to be refused');
}

const minimal = `cohort: promo
candidates:
  - id: alice
    sshKey: ${KEY_A}
`;

describe('cohort model', () => {
  it('accepts a 5-line file and fills sensible defaults', () => {
    expect(minimal.trim().split('\n')).toHaveLength(4);
    const c = parse(minimal);
    expect(c.target).toBe('local');
    expect(c.servers.map((s) => s.name)).toEqual(['gateway', 'app', 'db1', 'db2', 'mon']);
    expect(c.local.driver).toBe('container');
    expect(c.aws.region).toBe('eu-west-3');
    expect(c.modules).toEqual({ data: true, containers: true, kubernetes: true, monitoring: true });
  });

  it('loads the bundled examples, the solo one being the embedded default', () => {
    const solo = loadCohort(undefined, { now: NOW });
    expect(solo.file).toMatch(/examples\/solo\.yaml$/);
    expect(solo.cohort.candidates).toHaveLength(1);
    const cohort = loadCohort('examples/cohort.yaml', { now: NOW });
    expect(cohort.cohort.target).toBe('aws');
    expect(cohort.cohort.candidates).toHaveLength(12);
    expect(new Set(cohort.cohort.candidates.map((c) => c.sshKey)).size).toBe(12);
  });

  it('names the field path of a bad candidate id, with what was given', () => {
    const p = problems(`cohort: promo
candidates:
  - {id: a, sshKey: "${KEY_A}"}
  - {id: b, sshKey: "${KEY_B}"}
  - {id: Jean Dupont, sshKey: "${KEY_A}"}
`);
    expect(p).toEqual([{ path: 'candidates[2].id', line: 5, col: 10, message: expect.stringContaining('must be a DNS label') }]);
    expect(p[0]!.message).toContain('got "Jean Dupont"');
  });

  it('reports every problem at once', () => {
    const p = problems(`cohort: Promo!
target: aws
colour: red
admin: {cidrs: [0.0.0.0/0, 10.0.0.0/33], sshKeys: [nope]}
candidates:
  - {id: alice, sshKey: "${KEY_A}"}
  - {id: alice, sshKey: "ssh-rsa AAAAB3Nza"}
servers: [{name: web, role: web}]
`);
    const paths = p.map((x) => x.path).sort();
    expect(paths).toEqual(
      [
        'admin.cidrs[0]',
        'admin.cidrs[1]',
        'admin.sshKeys[0]',
        'candidates[1].id',
        'candidates[1].sshKey',
        'cohort',
        'colour',
        'expires',
        'servers[0].role',
      ].sort(),
    );
    expect(p.find((x) => x.path === 'admin.cidrs[0]')!.message).toMatch(/whole Internet/);
    expect(p.find((x) => x.path === 'candidates[1].id')!.message).toMatch(/already used by candidates\[0\]/);
    expect(p.find((x) => x.path === 'colour')!.message).toMatch(/unknown key "colour"/);
    expect(p.find((x) => x.path === 'expires')!.message).toMatch(/required on the aws target/);
  });

  it('refuses an IPv6 world CIDR too', () => {
    const p = problems(`${minimal}admin: {cidrs: ["::/0"]}\n`);
    expect(p).toEqual([{ path: 'admin.cidrs[0]', line: 5, col: 17, message: expect.stringMatching(/whole Internet/) }]);
  });

  it('refuses a private key pasted instead of the public one, without echoing it', () => {
    const priv = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDsmADEWGJxfENi78yCB+vJ+lTTOM67C9lChzLzz9EWFwAAAJhe81tyXvNb
cgAAAAtzc2gtZWQyNTUxOQAAACDsmADEWGJxfENi78yCB+vJ+lTTOM67C9lChzLzz9EWFw
AAAEDl0Bc2l9Xx8yqm0xYcnFcUbLBx9N3sJtO6dU2u0f1B3+yYAMRYYnF8Q2LvzIIH68n6
VNM4zrsL2UKHMvPP0RYXAAAADWFsaWNlQGV4YW1wbGUBAgMEBQ==
-----END OPENSSH PRIVATE KEY-----`;
    const doc = `cohort: promo\ncandidates:\n  - id: alice\n    sshKey: |\n${priv
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n')}\n`;
    const p = problems(doc);
    expect(p).toHaveLength(1);
    expect(p[0]!.path).toBe('candidates[0].sshKey');
    expect(p[0]!.message).toMatch(/PRIVATE key/);
    expect(p[0]!.message).not.toContain('b3BlbnNzaC1rZXkt');
  });

  it('parses an expiry in the past (cleanup needs it); refuses it only when asked (up), and accepts today', () => {
    expect(parse(`${minimal}expires: 2026-11-28\n`).expires).toBe('2026-11-28');
    const refused = (text: string) => parseCohort(text, 'test.yaml', { now: NOW, refuseExpired: true });
    expect(() => refused(`${minimal}expires: 2026-11-28\n`)).toThrow(CohortError);
    try {
      refused(`${minimal}expires: 2026-11-28\n`);
    } catch (err) {
      expect((err as CohortError).problems).toEqual([
        { path: 'expires', line: 5, col: 10, message: expect.stringMatching(/expired on 2026-11-28/) },
      ]);
    }
    expect(refused(`${minimal}expires: 2026-11-29\n`).expires).toBe('2026-11-29');
    expect(problems(`${minimal}expires: 2026-13-45\n`)[0]!.path).toBe('expires');
  });

  it('refuses duplicate server names, in the cohort and in a candidate override', () => {
    const p = problems(`cohort: promo
servers: [{name: db, role: db}, {name: db, role: db}]
candidates:
  - id: alice
    sshKey: ${KEY_A}
    overrides: {servers: [{name: x, role: app}, {name: x, role: db}]}
`);
    expect(p.map((x) => x.path).sort()).toEqual(['candidates[0].overrides.servers[1].name', 'servers[1].name']);
  });

  it('reports YAML syntax errors with their line', () => {
    const p = problems('cohort: promo\ncandidates: [\n  - id: a\n');
    expect(p[0]!.path).toMatch(/^line \d+$/);
    expect(p[0]!.message).toMatch(/not valid YAML/);
  });

  it('applies candidate overrides for servers and instance types', () => {
    const c = parse(`cohort: promo
candidates:
  - id: alice
    sshKey: ${KEY_A}
    overrides:
      servers: [{name: app, role: app, memoryMiB: 1024}]
      instanceTypes: {app: t3.medium}
  - id: bob
    sshKey: ${KEY_B}
`);
    expect(serversOf(c, c.candidates[0]!).map((s) => s.name)).toEqual(['app']);
    expect(serversOf(c, c.candidates[1]!)).toHaveLength(5);
    expect(instanceTypesOf(c, c.candidates[0]!).app).toBe('t3.medium');
    expect(instanceTypesOf(c, c.candidates[0]!).db).toBe('t3.small');
  });
});

describe('validation messages', () => {
  it('gives every problem its line and column in the file, in file order', () => {
    const text = `cohort: Bad Name
candidates:
  - id: alice
    sshKey: nope
servers: [{name: web, role: web}]
`;
    expect(problems(text)).toEqual([
      { path: 'cohort', line: 1, col: 9, message: expect.stringContaining('must be a DNS label') },
      { path: 'candidates[0].sshKey', line: 4, col: 13, message: expect.stringContaining('OpenSSH public key') },
      { path: 'servers[0].role', line: 5, col: 29, message: expect.any(String) },
    ]);
    try {
      parse(text);
    } catch (err) {
      expect((err as CohortError).message.split('\n')[0]).toMatch(/^test\.yaml:1:9: cohort: must be a DNS label/);
    }
    // A missing key points at the mapping that lacks it; an unknown key at the key itself.
    expect(problems('cohort: promo\ncandidates:\n  - id: alice\n    colour: red\n')).toEqual([
      { path: 'candidates[0].sshKey', line: 3, col: 5, message: expect.any(String) },
      { path: 'candidates[0].colour', line: 4, col: 5, message: expect.stringContaining('unknown key "colour"') },
    ]);
    // YAML syntax errors too (their path stays "line N").
    const y = problems('cohort: promo\ncandidates: [\n  - id: a\n');
    expect(y[0]).toMatchObject({ line: expect.any(Number), col: expect.any(Number) });
  });

  it('refuses a date that is not a day of the calendar', () => {
    const p = problems(`${minimal}expires: 2030-02-30\n`);
    expect(p).toEqual([{ path: 'expires', line: 5, col: 10, message: expect.stringContaining('real day of the calendar') }]);
    expect(p[0]!.message).toContain('2030-02 has 28 days');
    expect(problems(`${minimal}expires: 2030-04-31\n`)[0]!.message).toContain('2030-04 has 30 days');
    expect(parse(`${minimal}expires: 2028-02-29\n`).expires).toBe('2028-02-29'); // a leap year
    expect(problems(`${minimal}expires: 2030-13-01\n`)[0]!.message).toMatch(/must be a date YYYY-MM-DD/);
  });

  it('suggests the closest known key, only when it is close', () => {
    const p = problems(`cohort: promo
candidates:
  - id: alice
    sshkey: ${KEY_A}
modules: {monitorng: false}
colour: red
`);
    const msg = (path: string) => p.find((x) => x.path === path)?.message;
    expect(msg('candidates[0].sshkey')).toBe('unknown key "sshkey": did you mean "sshKey"?');
    expect(msg('modules.monitorng')).toBe('unknown key "monitorng": did you mean "monitoring"?');
    expect(msg('colour')).toBe('unknown key "colour" (check its spelling against docs/cohort.md)');
    expect(closestKey('candidate', ['cohort', 'candidates', 'servers'])).toBe('candidates');
    expect(closestKey('xyz', ['cohort', 'candidates'])).toBeUndefined();
  });

  it('says how to convert a PuTTY / RFC 4716 public key', () => {
    const rfc = `---- BEGIN SSH2 PUBLIC KEY ----
Comment: "ed25519-key-20240101"
AAAAC3NzaC1lZDI1NTE5AAAAICuLpKInuo6VF4RlwyLoS+Lg5GNQj3w38bDzsLWz3jhc
---- END SSH2 PUBLIC KEY ----`;
    const doc = `cohort: promo\ncandidates:\n  - id: alice\n    sshKey: |\n${rfc
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n')}\n`;
    const p = problems(doc);
    expect(p).toEqual([{ path: 'candidates[0].sshKey', line: 4, col: 13, message: expect.stringContaining('RFC 4716') }]);
    expect(p[0]!.message).toContain('ssh-keygen -i -f key.pub');
  });
});

describe('AWS options of the model', () => {
  const aws = (extra: string) => `cohort: promo
target: aws
expires: 2030-06-30
candidates:
  - id: alice
    sshKey: ${KEY_A}
${extra}`;

  it('Learner Lab mode: off by default; on, only its regions are accepted, with the field named', () => {
    expect(parse(aws('')).aws.learnerLab).toBe(false);
    expect(parse(aws('aws: { learnerLab: true, region: us-east-1 }')).aws).toMatchObject({
      learnerLab: true,
      region: 'us-east-1',
    });
    expect(problems(aws('aws: { learnerLab: true, region: eu-west-3 }'))).toEqual([
      {
        path: 'aws.region',
        line: 7,
        col: 34,
        message: expect.stringMatching(/may only use us-east-1, us-west-2.*got eu-west-3/),
      },
    ]);
    // The default region (Paris) is not a Learner Lab region: the mode's own field is named.
    expect(problems(aws('aws: { learnerLab: true }'))).toEqual([
      { path: 'aws.learnerLab', line: 7, col: 20, message: expect.stringMatching(/got eu-west-3 \(default\)/) },
    ]);
  });

  it("the trainers' e-mail (budget alerts) and the monthly budget are checked", () => {
    const c = parse(
      aws('aws: { monthlyBudgetUsd: 300 }').replace('candidates:', 'admin: { email: trainer@example.org }\ncandidates:'),
    );
    expect(c.admin.email).toBe('trainer@example.org');
    expect(c.aws.monthlyBudgetUsd).toBe(300);
    expect(problems(aws('').replace('candidates:', 'admin: { email: not-an-address }\ncandidates:')).map((p) => p.path)).toEqual([
      'admin.email',
    ]);
    expect(problems(aws('aws: { monthlyBudgetUsd: -5 }')).map((p) => p.path)).toEqual(['aws.monthlyBudgetUsd']);
  });
});
