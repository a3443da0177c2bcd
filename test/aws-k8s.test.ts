// The AWS target's Kubernetes path (src/targets/aws/cluster.ts): the k3s kubeconfig read through the
// bastion, its server rewritten to the local end of an SSH tunnel to the server's 127.0.0.1:6443, and
// the CP8.4 check using it. No cluster and no AWS here: the rewriting, the ssh arguments (as ssh
// itself reads them) and the failures are tested; a tunnel to a real k3s was never opened.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { LabServer } from '../src/core/lab-server.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { k8sAvailable } from '../src/modules/kubernetes/checks.ts';
import { openK3s, retargetKubeconfig, tunnelArgs } from '../src/targets/aws/cluster.ts';
import { writeJumpConfig } from '../src/tools/jump-ssh.ts';
import { NOW } from './helpers.ts';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
const dir = mkdtempSync(join(tmpdir(), 'asd-aws-k8s-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What k3s writes (role k3s): the API on the server's loopback, its CA, the admin client certificate.
const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tQ0EtLS0=
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: LS0tQ0VSVC0tLQ==
    client-key-data: LS0tS0VZLS0t
`;

const k8sServer = (jumpPort: number): LabServer => ({
  name: 'k8s',
  machine: 'alice-k8s',
  role: 'k8s',
  state: 'running',
  address: '10.100.128.13',
  sshPort: 22,
  user: 'asd-admin',
  keyPath: '/keys/lab',
  jump: { host: '127.0.0.1', port: jumpPort, user: 'asd-admin', keyPath: '/keys/lab' },
});

describe('the k3s kubeconfig through the bastion', () => {
  it('rewrites every cluster server to the tunnel, keeping the CA and the credentials', () => {
    const out = parse(retargetKubeconfig(K3S_YAML, 'https://127.0.0.1:41234')) as any;
    expect(out.clusters[0].cluster).toEqual({ 'certificate-authority-data': 'LS0tQ0EtLS0=', server: 'https://127.0.0.1:41234' });
    expect(out.users[0].user['client-key-data']).toBe('LS0tS0VZLS0t');
    expect(() => retargetKubeconfig('kind: Config\nclusters: []\n', 'https://127.0.0.1:1')).toThrow(/not a kubeconfig/);
  });

  it("the tunnel as ssh reads it: through the bastion's ProxyJump config, local 127.0.0.1 to the server's own 6443", async () => {
    const { configFile } = writeJumpConfig(join(dir, 'ssh_config'), {
      host: '198.51.100.10',
      port: 22,
      user: 'asd-admin',
      keyPath: '/keys/lab',
      knownHostsFile: join(dir, 'known_hosts'),
      strictHostKeys: 'accept-new',
    });
    const args = tunnelArgs(k8sServer(22), configFile, 41234);
    const g = (await execa('ssh', ['-G', ...args])).stdout;
    expect(g).toMatch(/^hostname 10\.100\.128\.13$/m);
    expect(g).toMatch(/^user asd-admin$/m);
    expect(g).toMatch(/^proxyjump asd-lab-jump$/m);
    expect(g).toMatch(/^localforward \[?127\.0\.0\.1\]?:41234 \[?127\.0\.0\.1\]?:6443$/m);
    expect(g).toMatch(/^exitonforwardfailure yes$/m);
    expect(g).toMatch(/^batchmode yes$/m);
    expect(g).toMatch(/^stricthostkeychecking accept-new$/m);
  });

  it('a bastion that does not answer: a clear error, nothing left behind', async () => {
    // A loopback port that refuses: the "bastion".
    const srv = createServer();
    await new Promise<void>((d) => srv.listen(0, '127.0.0.1', d));
    const port = (srv.address() as { port: number }).port;
    await new Promise((d) => srv.close(d));
    const before = (await execa('ls', [tmpdir()])).stdout.split('\n').filter((f) => f.startsWith('asd-lab-k3s-')).length;
    await expect(openK3s('asd-2027-lyon', k8sServer(port), { stateDir: dir })).rejects.toThrow(
      /cannot read \/etc\/rancher\/k3s\/k3s\.yaml on alice-k8s through the bastion/,
    );
    const after = (await execa('ls', [tmpdir()])).stdout.split('\n').filter((f) => f.startsWith('asd-lab-k3s-')).length;
    expect(after).toBe(before);
  }, 60_000);
});

describe('CP8.4 on the AWS target', () => {
  const cohort = parseCohort(readFileSync(join(REPO_ROOT, 'examples/cohort.yaml'), 'utf8'), 'examples/cohort.yaml', {
    now: NOW,
  });
  const candidate = cohort.candidates[0]!;

  it('not-run without a running k8s server, naming why', async () => {
    const [o] = await k8sAvailable.run({ cohort, candidate, servers: [] });
    expect(o).toMatchObject({ status: 'not-run', evidence: expect.stringMatching(/no running k8s server/) });
  });

  it('fail, with the reason, when the cluster cannot be reached through the bastion', async () => {
    const [o] = await k8sAvailable.run({ cohort, candidate, servers: [k8sServer(1)] });
    expect(o!.status).toBe('fail');
    expect(o!.evidence).toMatch(/through the bastion/);
  }, 60_000);
});
