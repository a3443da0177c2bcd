// The AWS lifecycle without AWS: bad input and missing credentials stop `up` before anything is
// created; `down`'s order and refusals are driven against a FAKE terraform (a script that answers
// like Terraform from files of this test), so no AWS API, no network: what is tested is asd-lab's
// orchestration, not Terraform nor AWS (test/aws-mock-apply.test.ts runs the real Terraform, mocked).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { findCredentials, credentialsInText } from '../src/targets/aws/credentials.ts';
import { downAws } from '../src/lifecycle/aws.ts';
import { cli, NOW } from './helpers.ts';

setLang('en');
process.env.AWS_EC2_METADATA_DISABLED = 'true';
const root = mkdtempSync(join(tmpdir(), 'asd-aws-life-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const example = readFileSync(join(REPO_ROOT, 'examples/cohort.yaml'), 'utf8');
/** The example cohort cut to its first two candidates. */
const twoCandidates = example.split('\n  - id: chloe')[0]!;
/** No credential anywhere: every AWS variable emptied, HOME without ~/.aws. */
const NO_AWS = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
  AWS_DEFAULT_PROFILE: '',
  AWS_SHARED_CREDENTIALS_FILE: '',
  AWS_CONFIG_FILE: '',
  AWS_WEB_IDENTITY_TOKEN_FILE: '',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
  AWS_EC2_METADATA_DISABLED: 'true',
};

function cohortFile(name: string, text: string): string {
  const f = join(root, `${name}.yaml`);
  writeFileSync(f, text);
  return f;
}

describe('up on aws: refused before anything is created', () => {
  it('without credentials: names every variable and profile file it looked for, creates nothing, exit 1', async () => {
    const home = join(root, 'home');
    mkdirSync(home, { recursive: true });
    const state = join(root, 'state-nocreds');
    const r = await cli(['up', '-c', cohortFile('nocreds', example)], { ...NO_AWS, HOME: home, ASD_LAB_STATE: state });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/no AWS credentials found for up; nothing was created or destroyed/);
    for (const what of [
      'AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      `${home}/.aws/credentials`,
      `${home}/.aws/config`,
      'profile "default"',
    ])
      expect(r.stderr).toContain(what);
    expect(existsSync(state), 'the state directory was created').toBe(false);
  });

  it('an expired cohort: exit 2 with the field, before the credentials are even looked for', async () => {
    const state = join(root, 'state-expired');
    const r = await cli(['up', '-c', cohortFile('expired', example.replace('expires: 2027-06-30', 'expires: 2020-01-31'))], {
      ...NO_AWS,
      ASD_LAB_STATE: state,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expired\.yaml:5:10: expires: the lab expired on 2020-01-31/);
    expect(existsSync(state)).toBe(false);
  });

  it('a credential pasted in the cohort file: the line is named, the key never echoed; no admin.email: named', async () => {
    const state = join(root, 'state-secret');
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const text = example.replace('    name: Alice Martin', `    name: Alice ${key}`).replace(/\n  email: .*\n/, '\n');
    const r = await cli(['up', '-c', cohortFile('secret', text)], {
      ...NO_AWS,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      ASD_LAB_STATE: state,
    });
    expect(r.code).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes(key)) + 1;
    expect(r.stderr).toContain(`secret.yaml: line ${line} looks like AWS credentials`);
    expect(r.stderr + r.stdout).not.toContain(key);
    expect(r.stderr).toMatch(/admin\.email: required by up on aws/);
    expect(existsSync(state)).toBe(false);
  });

  it('credentials found by name only: variables, web identity, a profile in a file (values never read)', () => {
    const home = join(root, 'home-profile');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws', 'config'), '[profile lab]\nregion = eu-west-3\n');
    expect(findCredentials({ AWS_PROFILE: 'lab' }, home).found).toBe(`profile "lab" in ${join(home, '.aws', 'config')}`);
    expect(findCredentials({ AWS_PROFILE: 'other' }, home).found).toBeUndefined();
    expect(findCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }, home).found).toBe(
      'environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
    );
    expect(credentialsInText('a: 1\nb: aws_secret_access_key = x\nc: ASIAABCDEFGHIJKLMNOP\n')).toEqual([2, 3]);
  });
});

/** A terraform that answers from FAKE_TF_DIR: <stack>.list (state list), <stack>.stuck (destroy fails), wipe.json. */
function fakeTerraform(dir: string): string {
  const bin = join(dir, 'terraform');
  writeFileSync(
    bin,
    `#!/bin/sh
stack=$(basename "$PWD")
echo "$stack $*" >> "$FAKE_TF_DIR/calls.log"
case "$1" in
  version) echo '{"terraform_version":"1.11.4"}' ;;
  init) : ;;
  state) [ -f "$FAKE_TF_DIR/$stack.list" ] && cat "$FAKE_TF_DIR/$stack.list" ;;
  destroy) if [ -f "$FAKE_TF_DIR/$stack.stuck" ]; then echo "Error: DependencyViolation" >&2; exit 1; fi; rm -f "$FAKE_TF_DIR/$stack.list" ;;
  apply) : ;;
  output) if [ "$stack" = wipe-check ]; then cat "$FAKE_TF_DIR/wipe.json"; else echo '{}'; fi ;;
esac
exit 0
`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

describe('down on aws (fake terraform: orchestration only)', () => {
  const cohort = parseCohort(twoCandidates, 'two.yaml', { now: NOW });

  async function scenario(name: string, setup: (fake: string, tfState: string) => void) {
    const dir = join(root, name);
    const fake = join(dir, 'fake');
    mkdirSync(fake, { recursive: true });
    process.env.FAKE_TF_DIR = fake;
    const stateDir = join(dir, 'state');
    const tfState = join(stateDir, 'cohorts', cohort.cohort, 'aws', 'terraform');
    for (const s of ['asd-2027-lyon-network', 'asd-2027-lyon-cand-alice', 'asd-2027-lyon-cand-bruno']) {
      mkdirSync(join(tfState, s), { recursive: true });
      writeFileSync(join(tfState, s, 'terraform.tfstate'), '{}');
      writeFileSync(join(fake, `${s}.list`), `aws_instance.${s}\n`);
    }
    setup(fake, tfState);
    const r = await downAws(cohort, {
      stateDir,
      env: { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
      terraform: { terraformBin: fakeTerraform(dir), mirrorDir: join(dir, 'no-mirror'), pluginCacheDir: join(dir, 'plugins') },
      wipe: { attempts: 2, delayMs: 0 },
    });
    const calls = readFileSync(join(fake, 'calls.log'), 'utf8');
    return { r, calls };
  }

  it('a candidate stack that keeps resources: named, and the network stack is NOT destroyed', async () => {
    const { r, calls } = await scenario('stuck', (fake) => writeFileSync(join(fake, 'asd-2027-lyon-cand-bruno.stuck'), ''));
    expect(r.remaining).toEqual([{ stack: 'asd-2027-lyon-cand-bruno', resources: ['aws_instance.asd-2027-lyon-cand-bruno'] }]);
    expect(calls).toMatch(/asd-2027-lyon-cand-alice destroy -auto-approve/);
    expect(calls).not.toMatch(/asd-2027-lyon-network destroy/);
    expect(r.left).toEqual([]);
  });

  it('every stack destroyed, candidates before the network, then the wipe check names what still carries the tag', async () => {
    const arn = 'arn:aws:ec2:eu-west-3:123456789012:volume/vol-0abc';
    const { r, calls } = await scenario('left', (fake) =>
      writeFileSync(join(fake, 'wipe.json'), JSON.stringify({ left: { value: [arn] } })),
    );
    expect(r.remaining).toEqual([]);
    const order = calls
      .split('\n')
      .filter((l) => / destroy /.test(l))
      .map((l) => l.split(' ')[0]);
    expect(order.at(-1)).toBe('asd-2027-lyon-network');
    expect(order.slice(0, 2).sort()).toEqual(['asd-2027-lyon-cand-alice', 'asd-2027-lyon-cand-bruno']);
    expect(r.left).toEqual([arn]);
    // Read twice (the Tagging API lags behind deletions) before it is reported.
    expect(calls.split('\n').filter((l) => l.startsWith('wipe-check apply'))).toHaveLength(2);
  });

  it('nothing left: the wipe check reads once and reports nothing', async () => {
    const { r, calls } = await scenario('clean', (fake) =>
      writeFileSync(join(fake, 'wipe.json'), JSON.stringify({ left: { value: [] } })),
    );
    expect(r).toMatchObject({ remaining: [], left: [] });
    expect(r.jump).toEqual(['aws_instance.asd-2027-lyon-network']);
    expect(calls.split('\n').filter((l) => l.startsWith('wipe-check apply'))).toHaveLength(1);
  });

  it('without credentials: refused before any terraform command', async () => {
    const dir = join(root, 'nocreds-down');
    await expect(
      downAws(cohort, { stateDir: join(dir, 'state'), env: {}, terraform: { terraformBin: '/nonexistent' } }),
    ).rejects.toThrow(/no AWS credentials found for down/);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });
});
