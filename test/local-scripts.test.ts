// The server scripts exist in three languages with the same arguments: bash (used by asd-lab),
// Python (tested to make the same server, see local-server.test.ts) and PowerShell (Hyper-V, not
// runnable here: its param() block is compared with the bash options).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { SCRIPTS_DIR } from '../src/targets/local/index.ts';

const script = (f: string) => path.join(SCRIPTS_DIR, f);

/** Long options listed by --help (lines of the options section starting with "--"). */
async function helpOptions(file: string): Promise<string[]> {
  const r = await execa(script(file), ['--help']);
  const opts = r.stdout
    .split('\n')
    .map((l) => /^\s{2}(--[a-z][a-z-]*)/.exec(l)?.[1])
    .filter((o): o is string => !!o);
  return [...new Set(opts)].filter((o) => o !== '--help').sort();
}

/** Parameter names of the top-level param() block of a PowerShell script, as kebab-case options. */
function psOptions(file: string): string[] {
  const text = readFileSync(script(file), 'utf8');
  const start = text.indexOf('param(');
  let depth = 0;
  let end = start;
  for (let i = start + 5; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  const block = text.slice(start, end);
  const names = [...block.matchAll(/\]\s*\$([A-Z][A-Za-z]*)/g)].map((m) => m[1]!);
  return names.map((n) => `--${n.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`).sort();
}

describe('server scripts in bash, Python and PowerShell', () => {
  it('create-server.sh, create_server.py and New-LabServer.ps1 take the same arguments', async () => {
    const bash = await helpOptions('create-server.sh');
    expect(bash).toEqual([
      '--accel',
      '--address',
      '--candidate',
      '--cohort',
      '--cpus',
      '--driver',
      '--gateway',
      '--memory',
      '--name',
      '--network',
      '--role',
      '--ssh-key',
      '--state-dir',
      '--timeout',
    ]);
    expect(await helpOptions('create_server.py')).toEqual(bash);
    expect(psOptions('New-LabServer.ps1')).toEqual(bash);
  });

  it('destroy-server.sh, destroy_server.py and Remove-LabServer.ps1 take the same arguments', async () => {
    const bash = await helpOptions('destroy-server.sh');
    expect(bash).toEqual(['--name', '--state-dir', '--timeout']);
    expect(await helpOptions('destroy_server.py')).toEqual(bash);
    expect(psOptions('Remove-LabServer.ps1')).toEqual(bash);
  });

  it('every script documents itself with --help', async () => {
    for (const f of [
      'build-image.sh',
      'lab-network.sh',
      'kvm-probe.sh',
      'create-server.sh',
      'create_server.py',
      'destroy-server.sh',
      'destroy_server.py',
    ]) {
      const r = await execa(script(f), ['--help']);
      expect(r.stdout, f).toMatch(/usage/i);
    }
  });

  it('bad arguments fail with exit code 2 and the same reason in bash and Python, before anything is done', async () => {
    const base = [
      '--name',
      'srv',
      '--role',
      'app',
      '--memory',
      '512',
      '--cpus',
      '1',
      '--network',
      'br0',
      '--address',
      '10.9.0.10/24',
      '--gateway',
      '10.9.0.1',
      '--ssh-key',
      script('image-packages.txt'),
      '--state-dir',
      '/nonexistent/asd-lab-test',
    ];
    const cases: [string[], RegExp][] = [
      [['--memory', '64'], /--memory '64' must be a whole number of MiB between 128 and 16384/],
      [['--address', '10.9.0.300/24'], /--address '10\.9\.0\.300\/24' must be an IPv4 address/],
      [['--gateway', '10.8.0.1'], /--gateway 10\.8\.0\.1 is not in the subnet of --address 10\.9\.0\.10\/24/],
      [['--driver', 'lxc'], /--driver 'lxc' must be 'container' or 'vm'/],
      [['--name', 'Bad_Name'], /--name 'Bad_Name' must be a DNS label/],
      [[], /holds no OpenSSH public key line/],
    ];
    for (const [over, reason] of cases) {
      const args = [...base];
      for (let i = 0; i < over.length; i += 2) {
        const at = args.indexOf(over[i]!);
        if (at < 0) args.push(over[i]!, over[i + 1]!);
        else args[at + 1] = over[i + 1]!;
      }
      for (const f of ['create-server.sh', 'create_server.py']) {
        const r = await execa(script(f), args, { reject: false });
        expect(r.exitCode, `${f} ${over.join(' ')}`).toBe(2);
        expect(r.stderr, f).toMatch(reason);
      }
    }
  });

  it('the bash scripts parse and the Python scripts compile', async () => {
    for (const f of readdirSync(SCRIPTS_DIR)) {
      if (f.endsWith('.sh')) await execa('bash', ['-n', script(f)]);
      if (f.endsWith('.py'))
        await execa('python3', ['-m', 'py_compile', script(f)], { env: { PYTHONPYCACHEPREFIX: '/tmp/asd-lab-pycache' } });
    }
    await execa('bash', ['-n', script('lib/common.sh')]);
    await execa('sh', ['-n', script('image/initramfs-seed')]);
    await execa('sh', ['-n', script('image/initramfs-hook')]);
  });
  it('the image cache key ignores comments and order of the package list, and changes with a package', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asd-lab-pkgs-'));
    const write = (f: string, text: string) => {
      writeFileSync(path.join(dir, f), text);
      return path.join(dir, f);
    };
    const a = write('a.txt', '# list\nsudo\npython3 # for Ansible\n\nsystemd\n');
    const b = write('b.txt', 'systemd\n  python3\nsudo\n');
    const c = write('c.txt', 'systemd\npython3\nsudo\nnginx\n');
    const digest = async (f: string) =>
      (await execa('bash', ['-c', `. "${script('lib/common.sh')}"; list_digest "$1"`, 'x', f])).stdout;
    expect(await digest(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(await digest(a)).toBe(await digest(b));
    expect(await digest(c)).not.toBe(await digest(a));
    rmSync(dir, { recursive: true });
  });
});
