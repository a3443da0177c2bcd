// The k3s cluster of a candidate's k8s server on AWS (ansible/roles/k3s), reached from this machine
// through the bastion: the admin kubeconfig is read from the server over SSH (ProxyJump, the same
// ssh_config as Ansible's, src/tools/jump-ssh.ts), and its API address is rewritten to a local port
// that an SSH tunnel forwards to the server's own 127.0.0.1:6443 (always in k3s's certificate). So
// kubectl needs no route into the VPC and port 6443 needs no rule from this machine.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { AsdError } from '../../core/errors.ts';
import { t } from '../../core/i18n/index.ts';
import type { LabServer } from '../../core/lab-server.ts';
import { cohortPaths } from '../../core/state.ts';
import { jumpCommonArgs, writeJumpConfig } from '../../tools/jump-ssh.ts';
import { awsPaths } from './paths.ts';

/** Where k3s writes its admin kubeconfig (role k3s, k3s_config_dir). */
export const K3S_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';
export const K3S_API_PORT = 6443;

/** The kubeconfig with every cluster's server set to `server` (the CA and credentials kept). */
export function retargetKubeconfig(text: string, server: string): string {
  const doc = parse(text) as { clusters?: { cluster?: { server?: string } }[] } | null;
  if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0 || !doc.clusters.every((c) => c.cluster?.server))
    throw new AsdError(t('aws.k8s.badKubeconfig', { file: K3S_KUBECONFIG }));
  for (const c of doc.clusters) c.cluster!.server = server;
  return stringify(doc);
}

/** ssh's arguments to reach `server` through its bastion, with the ssh_config `configFile`. */
export function sshToServer(server: LabServer, configFile: string): string[] {
  return [
    ...jumpCommonArgs(configFile).split(' '),
    '-i',
    server.keyPath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=20',
    '-p',
    String(server.sshPort),
    `${server.user}@${server.address}`,
  ];
}

/** The arguments of the tunnel: local 127.0.0.1:port to the server's own 127.0.0.1:6443. */
export function tunnelArgs(server: LabServer, configFile: string, localPort: number): string[] {
  return [
    '-N',
    '-o',
    'ExitOnForwardFailure=yes',
    '-L',
    `127.0.0.1:${localPort}:127.0.0.1:${K3S_API_PORT}`,
    ...sshToServer(server, configFile),
  ];
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const port = (srv.address() as { port: number }).port;
  await new Promise((done) => srv.close(done));
  return port;
}

const accepts = (port: number) =>
  new Promise<boolean>((done) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.end();
      done(true);
    });
    s.on('error', () => done(false));
  });

export interface K3sAccess {
  /** A kubeconfig whose server is the tunnel's local end (0600, in a private temporary folder). */
  kubeconfig: string;
  localPort: number;
  close(): Promise<void>;
}

/**
 * Opens the way to the k3s API of `server` (the candidate's k8s server, reached through its jump):
 * reads the admin kubeconfig with sudo, starts the tunnel, writes the rewritten kubeconfig. Call
 * close() when done (ends the tunnel, removes the files).
 */
export async function openK3s(cohort: string, server: LabServer, opts: { stateDir?: string } = {}): Promise<K3sAccess> {
  if (!server.jump) throw new AsdError(t('aws.k8s.noJump', { server: server.machine ?? server.name }));
  const dir = mkdtempSync(join(tmpdir(), 'asd-lab-k3s-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const { configFile } = writeJumpConfig(join(dir, 'ssh_config'), {
      ...server.jump,
      knownHostsFile: awsPaths(cohortPaths(cohort, opts.stateDir)).knownHosts,
      strictHostKeys: 'accept-new',
    });
    const read = await execa('ssh', [...sshToServer(server, configFile), 'sudo', '-n', 'cat', K3S_KUBECONFIG], {
      reject: false,
      timeout: 60_000,
      stdin: 'ignore',
    });
    if (read.exitCode !== 0)
      throw new AsdError(
        t('aws.k8s.noKubeconfig', {
          server: server.machine ?? server.name,
          file: K3S_KUBECONFIG,
          detail: read.stderr.trim().split('\n').pop() ?? '',
        }),
      );
    const localPort = await freePort();
    const tunnel = execa('ssh', tunnelArgs(server, configFile, localPort), { reject: false, stdin: 'ignore' });
    let exited = false;
    void tunnel.then(() => (exited = true));
    const deadline = Date.now() + 30_000;
    while (!(await accepts(localPort))) {
      if (exited || Date.now() > deadline) {
        tunnel.kill();
        const r = await tunnel;
        throw new AsdError(
          t('aws.k8s.tunnel', { server: server.machine ?? server.name, detail: r.stderr.trim().split('\n').pop() ?? '' }),
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, retargetKubeconfig(read.stdout, `https://127.0.0.1:${localPort}`), { mode: 0o600 });
    return {
      kubeconfig,
      localPort,
      close: async () => {
        tunnel.kill();
        await tunnel;
        cleanup();
      },
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}
