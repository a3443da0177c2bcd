// Prerequisite checks: each says what it found and the exact command that fixes it.
import { accessSync, constants, existsSync } from 'node:fs';
import { execa } from 'execa';
import { t, type MessageKey } from '../core/i18n/index.ts';
import { atLeast, MIN_VERSIONS, parseVersion, type Tool } from '../core/versions.ts';

export interface Check {
  id: string;
  label: string;
  ok: boolean;
  found: string;
  fix?: string;
  /** Which part of the lab needs it. */
  for: 'all' | 'aws' | 'local' | 'vm' | 'k8s';
}

async function version(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await execa(cmd, args, { reject: false, timeout: 15_000 });
    if (r.exitCode !== 0 && !r.stdout) return undefined;
    const lines = (r.stdout || r.stderr).split('\n');
    // The line that carries the version (terraform may print a warning before it).
    return (lines.find((l) => parseVersion(l) !== undefined) ?? lines[0])?.trim();
  } catch {
    // not installed (ENOENT) or hung: doctor reports it missing, with the fix
    return undefined;
  }
}

const APT = 'apt-get update && apt-get install -y';

export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const tool = async (
    id: string,
    key: MessageKey,
    cmd: string,
    args: string[],
    fix: string,
    need: Check['for'],
  ): Promise<Check> => {
    const v = await version(cmd, args);
    return {
      id,
      label: t(key),
      ok: v !== undefined,
      found: v ?? t('doctor.missing'),
      fix: v === undefined ? fix : undefined,
      for: need,
    };
  };
  /** A tool with a minimum version: found and at least MIN_VERSIONS[tool]. */
  const versioned = async (
    tool: Tool,
    key: MessageKey,
    cmd: string,
    args: string[],
    fix: string,
    need: Check['for'],
  ): Promise<Check> => {
    const min = MIN_VERSIONS[tool];
    const out = await version(cmd, args);
    const v = out === undefined ? undefined : parseVersion(out);
    const ok = v !== undefined && atLeast(v, tool);
    return {
      id: tool,
      label: t(key, { min }),
      ok,
      found: out === undefined ? t('doctor.missing') : ok || v === undefined ? out : t('doctor.tooOld', { found: out, min }),
      fix: ok ? undefined : fix,
      for: need,
    };
  };
  const nodeOk = atLeast(process.versions.node, 'node');
  const mirror = env.ASD_LAB_TF_MIRROR ?? '/opt/tf-plugins';
  const mirrorOk = existsSync(`${mirror}/registry.terraform.io/hashicorp/aws/5.100.0`);
  let kvm = false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    kvm = true;
  } catch {
    /* reported below */
  }
  const checks: Check[] = [
    {
      id: 'node',
      label: t('doctor.node', { min: MIN_VERSIONS.node }),
      ok: nodeOk,
      found: nodeOk ? process.version : t('doctor.tooOld', { found: process.version, min: MIN_VERSIONS.node }),
      // Debian 12's nodejs is 18: apt-get alone cannot fix it.
      fix: nodeOk
        ? undefined
        : "install Node 22 LTS from NodeSource's apt repository or the official tarball (README, Quick start)",
      for: 'all',
    },
    await versioned(
      'terraform',
      'doctor.terraform',
      'terraform',
      ['version'],
      "install Terraform 1.11 from HashiCorp's release archive into /usr/local/bin (README, Quick start)",
      'aws',
    ),
    {
      id: 'mirror',
      label: t('doctor.mirror'),
      ok: mirrorOk,
      found: mirrorOk ? mirror : t('doctor.missing'),
      fix: mirrorOk
        ? undefined
        : `terraform providers mirror ${mirror}  (on a machine with Internet access, then copy it here; or set ASD_LAB_TF_MIRROR)`,
      for: 'aws',
    },
    await versioned('ansible', 'doctor.ansible', 'ansible-playbook', ['--version'], `${APT} ansible`, 'local'),
    await tool('debootstrap', 'doctor.debootstrap', 'debootstrap', ['--version'], `${APT} debootstrap`, 'local'),
    await tool('nspawn', 'doctor.nspawn', 'systemd-nspawn', ['--version'], `${APT} systemd-container`, 'local'),
    await tool('nft', 'doctor.nft', 'nft', ['--version'], `${APT} nftables`, 'local'),
    {
      id: 'root',
      label: t('doctor.root'),
      ok: process.getuid?.() === 0,
      found: `uid ${process.getuid?.() ?? '?'}`,
      fix: process.getuid?.() === 0 ? undefined : 'sudo npx asd-lab up',
      for: 'local',
    },
    await tool('qemu', 'doctor.qemu', 'qemu-system-x86_64', ['--version'], `${APT} qemu-system-x86 qemu-utils`, 'vm'),
    {
      id: 'kvm',
      label: t('doctor.kvm'),
      ok: kvm,
      found: kvm ? '/dev/kvm' : t('doctor.missing'),
      fix: kvm
        ? undefined
        : 'enable virtualization (VT-x/AMD-V) or nested virtualization; the vm driver falls back to software emulation',
      for: 'vm',
    },
    await tool('kubectl', 'doctor.kubectl', 'kubectl', ['version', '--client'], `${APT} kubernetes-client`, 'k8s'),
  ];
  return checks;
}
