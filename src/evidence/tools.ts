// Versions of the tools a lab was built with (recorded in bundles and shown in the dossier).
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { statePaths } from '../core/state.ts';
import { REPO_ROOT } from '../core/repo.ts';
import { AWS_PROVIDER } from '../targets/aws/terraform/runner.ts';

async function firstLine(cmd: string, args: string[], pick: RegExp): Promise<string> {
  const r = await execa(cmd, args, { reject: false, env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
  if (r.exitCode !== 0) return 'not installed';
  return pick.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? r.stdout.split('\n')[0]!.trim();
}

/** Versions of node, terraform, providers, CDKTF, Ansible and Graphviz on this host. */
export async function toolVersions(root = REPO_ROOT): Promise<Record<string, string>> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const [terraform, ansible, dot] = await Promise.all([
    firstLine(process.env.ASD_LAB_TERRAFORM ?? 'terraform', ['version'], /Terraform v(\S+)/),
    firstLine('ansible', ['--version'], /ansible \[core ([^\]]+)\]/),
    firstLine('dot', ['-V'], /version (\S+)/),
  ]);
  return {
    node: process.versions.node,
    terraform,
    'provider hashicorp/aws': AWS_PROVIDER.version,
    cdktf: pkg.dependencies.cdktf ?? '?',
    '@cdktf/provider-aws': pkg.dependencies['@cdktf/provider-aws'] ?? '?',
    'ansible-core': ansible,
    graphviz: dot,
  };
}

export interface ImageState {
  /** Identifier of the golden image (hash of its package lists), or "none" when not built. */
  id: string;
  /** `dpkg-query` list recorded in the image when it was built ("package version" lines). */
  packages?: string;
}

/** The golden image the state directory uses now (image/current) and its package list. */
export function imageState(stateDir: string): ImageState {
  const current = statePaths(stateDir).currentImage;
  if (!existsSync(current)) return { id: 'none' };
  const dir = join(statePaths(stateDir).images, readlinkSafe(current));
  const list = join(dir, 'rootfs/usr/share/asd-lab/packages.txt');
  return { id: readlinkSafe(current), packages: existsSync(list) ? readFileSync(list, 'utf8') : undefined };
}

function readlinkSafe(p: string): string {
  try {
    return readlinkSync(p).replace(/\/$/, '').split('/').pop()!;
  } catch {
    // image/current exists (checked) but is no symlink: its id is unknown, the bundle says so
    return 'unknown';
  }
}
