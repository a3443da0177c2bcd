// `asd-lab project validate`: the sample project passes, the negative fixture is refused with every
// unmeetable need listed (real ansible-galaxy, apt-cache and promtool), the exit codes and --json,
// and the pieces (globs, Dockerfiles, URLs) on their own.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCohort } from '../src/core/model/load.ts';
import { REPO_ROOT } from '../src/core/repo.ts';
import { dockerInstructions, globRegExp, normalizeImage } from '../src/modules/project/files.ts';
import { downloadIn, externalHost, validateProject } from '../src/modules/project/validate.ts';
import { cli, KEY_A, KEY_B, NOW } from './helpers.ts';

const SAMPLE = resolve(REPO_ROOT, 'examples/project-shopfront');
const UNMEETABLE = resolve(REPO_ROOT, 'test/fixtures/project-unmeetable');
const SOLO = parseCohort(`cohort: solo\ncandidates:\n  - id: candidate\n    sshKey: ${KEY_A}\n`, 'solo.yaml', { now: NOW });
const tmp = mkdtempSync(join(tmpdir(), 'asd-project-validate-'));

describe('project validate: the needs the lab cannot meet', () => {
  it('accepts the sample project: nothing it needs is missing', async () => {
    const v = await validateProject(SAMPLE, SOLO, SOLO.candidates);
    expect(v.needs).toEqual([]);
    expect(v.candidates).toEqual(['candidate']);
  });

  it('lists every need of the negative fixture at once, with its field path and position', async () => {
    const v = await validateProject(UNMEETABLE, SOLO, SOLO.candidates);
    const got = v.needs.map((n) => `${n.file ?? 'asd-project.yaml'}:${n.line ?? '-'} ${n.path}: ${n.message}`);
    const expected: [string, RegExp][] = [
      ['asd-project.yaml:6 ansible.playbooks[1]', /ansible\/missing\.yml is not in the project/],
      [
        'asd-project.yaml:8 ansible.groups.public[1]',
        /server "web9" is not in the lab of candidate candidate \(servers: gateway, app, db1, db2, mon\)/,
      ],
      ['asd-project.yaml:10 ansible.collections[1]', /collection acme\.widgets is not in Debian 12's ansible package/],
      ['asd-project.yaml:15 containers.ports[1]', /port 9100 on app is already the lab's own \(node-exporter\)/],
      ['asd-project.yaml:17 packages.apt[0]', /apt does not know docker-ce/],
      ['asd-project.yaml:20 monitoring.scrape[0].port', /mon cannot reach app:3000/],
      [
        'asd-project.yaml:21 monitoring.rules[0]',
        /promtool check rules refuses monitoring\/broken\.yml: .*could not parse expression/,
      ],
      [
        'asd-project.yaml:23 monitoring.drills[0].alert',
        /alert NoSuchAlert is not defined in monitoring\.rules \(alerts there: ApiDown\)/,
      ],
      ['asd-project.yaml:23 monitoring.drills[0].server', /server "mon2" is not in the lab/],
      ['asd-project.yaml:25 kubernetes', /the local target gives no Kubernetes cluster yet/],
      ['asd-project.yaml:26 evidence[0]', /no file of the project matches screenshots\/\*\.png/],
      ['ansible/site.yml:3 ansible.playbooks[0]', /this play targets "private"/],
      ['ansible/site.yml:7 ansible.playbooks[0]', /a pip task downloads from PyPI/],
      ['ansible/site.yml:10 ansible.playbooks[0]', /get_url downloads from github\.com/],
      ['ansible/site.yml:15 ansible.playbooks[0]', /git downloads from github\.com/],
      ['ansible/site.yml:20 ansible.playbooks[0]', /apt_repository adds a package source outside Debian's archive/],
      ['ansible/site.yml:23 ansible.playbooks[0]', /this command downloads from outside the lab \(get\.docker\.com\)/],
      ['ansible/site.yml:27 packages.apt', /this task installs nginx, which packages\.apt does not declare/],
      [
        'ansible/site.yml:29 ansible.playbooks[0]',
        /community\.general\.ufw: collection community\.general is used but not declared/,
      ],
      [
        'ansible/site.yml:33 ansible.playbooks[0]',
        /acme\.widgets\.thing: collection acme\.widgets is not in Debian 12's ansible package/,
      ],
      ['app/Dockerfile:1 containers.images', /image mysql:8 is not mapped in containers\.images/],
      ['app/Dockerfile:2 containers', /this RUN step downloads from outside the lab \(pip install\)/],
      ['requirements.yml:- ansible', /requirements\.yml asks ansible-galaxy to download/],
    ];
    expect(got).toHaveLength(expected.length);
    expected.forEach(([where, message], i) => {
      expect(got[i]!.startsWith(`${where}: `), got[i]).toBe(true);
      expect(got[i]).toMatch(message);
    });
    // community.docker is declared and Debian's: not a need
    expect(got.join('\n')).not.toContain('community.docker is not');
  });

  it('checks servers against the chosen candidate: one whose own servers lack app is named', async () => {
    const cohort = parseCohort(
      [
        'cohort: two',
        'candidates:',
        `  - {id: ana, sshKey: ${KEY_A}}`,
        `  - id: bob`,
        `    sshKey: ${KEY_B}`,
        '    overrides: {servers: [{name: gateway, role: gateway}, {name: web, role: app}, {name: mon, role: mon}]}',
      ].join('\n'),
      'two.yaml',
      { now: NOW },
    );
    const all = await validateProject(SAMPLE, cohort, cohort.candidates);
    expect(all.needs.map((n) => `${n.path}: ${n.message}`)).toEqual([
      'ansible.groups.webservers[0]: server "app" is not in the lab of candidate bob (servers: gateway, web, mon)',
      'containers.servers[0]: server "app" is not in the lab of candidate bob (servers: gateway, web, mon)',
      'monitoring.scrape[0].server: server "app" is not in the lab of candidate bob (servers: gateway, web, mon)',
      'monitoring.drills[0].server: server "app" is not in the lab of candidate bob (servers: gateway, web, mon)',
    ]);
    expect((await validateProject(SAMPLE, cohort, [cohort.candidates[0]!])).needs).toEqual([]);
  });

  it('finds what a changed copy of the sample needs (the checks read the files, not a list)', async () => {
    const dir = join(tmp, 'changed');
    cpSync(SAMPLE, dir, { recursive: true });
    writeFileSync(join(dir, 'app/Dockerfile'), 'FROM python:3.12-slim AS build\nRUN true\nFROM build\nFROM node:20\n');
    writeFileSync(
      join(dir, 'monitoring/alerts.yml'),
      'groups:\n  - name: g\n    rules:\n      - alert: Other\n        expr: up == 0\n',
    );
    const v = await validateProject(dir, SOLO, SOLO.candidates);
    expect(v.needs.map((n) => `${n.file ?? '-'}:${n.line ?? '-'} ${n.message}`)).toEqual([
      '-:26 alert ShopfrontDown is not defined in monitoring.rules (alerts there: Other)',
      'app/Dockerfile:4 image node:20 is not mapped in containers.images to one the lab provides (debian, node, python, postgres, nginx)',
    ]);
  });
});

describe('asd-lab project validate (the command)', () => {
  it('exit 0 on the sample, with the same --json document as a refused project', async () => {
    const ok = await cli(['project', 'validate', 'examples/project-shopfront']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(
      'examples/project-shopfront/asd-project.yaml: project "shopfront" can be brought to the lab of candidate (claims CP2, CP7, CP10)',
    );
    const json = await cli(['--json', 'project', 'validate', 'examples/project-shopfront']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: true, ok: true, needs: [], project: { name: 'shopfront' } });
  });

  it('exit 1 on unmet needs, all listed, in French too; --json lists them', async () => {
    const fr = await cli(['--lang', 'fr', 'project', 'validate', 'test/fixtures/project-unmeetable']);
    expect(fr.code).toBe(1);
    const lines = fr.stderr.split('\n');
    expect(lines[0]).toBe(
      "23 besoins de test/fixtures/project-unmeetable/asd-project.yaml que le lab ne peut pas satisfaire ; rien n'a été déployé :",
    );
    expect(lines).toContain(
      "test/fixtures/project-unmeetable/app/Dockerfile:1:1: containers.images: l'image mysql:8 n'est pas associée dans containers.images à une image fournie par le lab (debian, node, python, postgres, nginx)",
    );
    const json = await cli(['--json', 'project', 'validate', 'test/fixtures/project-unmeetable']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { ok: boolean; needs: { path: string; file?: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.needs).toHaveLength(23);
    expect(doc.needs.filter((n) => n.file === 'ansible/site.yml')).toHaveLength(9);
  });

  it('exit 2 on an invalid or missing asd-project.yaml; an unknown candidate is a usage error too', async () => {
    const bad = join(tmp, 'bad');
    cpSync(SAMPLE, bad, { recursive: true });
    const manifest = readFileSync(join(SAMPLE, 'asd-project.yaml'), 'utf8');
    writeFileSync(join(bad, 'asd-project.yaml'), manifest.replace('\nevidence:', '\nevidense:'));
    const line = manifest.split('\n').findIndex((l) => l.startsWith('evidence:')) + 1;
    const r = await cli(['project', 'validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1 problem in the project file; nothing was deployed:');
    expect(r.stderr).toContain(
      `${join(bad, 'asd-project.yaml')}:${line}:1: evidense: unknown key "evidense": did you mean "evidence"?`,
    );
    const json = await cli(['--json', 'project', 'validate', bad]);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, problems: [{ path: 'evidense', line, col: 1 }] });
    const missing = await cli(['project', 'validate', tmp]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no asd-project.yaml in ${tmp}`);
    const unknown = await cli(['project', 'validate', 'examples/project-shopfront', '--candidate', 'nobody']);
    expect(unknown.code).toBe(2);
  });

  it('a tool it needs that is missing is an error naming its package, not a check left out', async () => {
    const r = await cli(['project', 'validate', 'examples/project-shopfront'], { PATH: join(tmp, 'no-tools') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ansible-galaxy is not installed: apt-get install -y ansible');
  });
});

describe('the pieces', () => {
  it('globs: ** any folders, * within a name, {a,b}', () => {
    const re = globRegExp('docs/**/*.{md,png}');
    expect(['docs/a.md', 'docs/x/y/b.png'].every((p) => re.test(p))).toBe(true);
    expect(['docs/a.txt', 'docsx/a.md', 'other/docs/a.md'].some((p) => re.test(p))).toBe(false);
    expect(globRegExp('*.md').test('sub/a.md')).toBe(false);
    expect(globRegExp('README.md').test('READMEXmd')).toBe(false);
  });

  it('Dockerfiles: continuation lines joined, comments left out, line of each instruction', () => {
    const ins = dockerInstructions(
      '# c\nFROM  python:3.12 AS base\nRUN apt-get update \\\n  # note\n  && pip install x\nCMD ["x"]\n',
    );
    expect(ins).toEqual([
      { instruction: 'FROM', args: 'python:3.12 AS base', line: 2 },
      { instruction: 'RUN', args: 'apt-get update    && pip install x', line: 3 },
      { instruction: 'CMD', args: '["x"]', line: 6 },
    ]);
    expect(normalizeImage('docker.io/library/nginx')).toBe('nginx:latest');
    expect(normalizeImage('registry:5000/team/app')).toBe('registry:5000/team/app:latest');
  });

  it('downloads: outside hosts only; lab servers, loopback and templated hosts are not', () => {
    const lab = new Set(['app', 'mon']);
    expect(externalHost('curl http://app:8000/health', lab)).toBeUndefined();
    expect(externalHost('wget https://127.0.0.1/x', lab)).toBeUndefined();
    expect(externalHost('curl https://{{ host }}/x', lab)).toBeUndefined();
    expect(externalHost('git clone git@github.com:acme/app.git', lab)).toBe('github.com');
    expect(downloadIn('pip3 install --no-index --find-links /wheels app', lab)).toBeUndefined();
    expect(downloadIn('python3 -m pip install flask', lab)).toBe('pip install');
    expect(downloadIn('ansible-galaxy collection install community.docker', lab)).toBe('ansible-galaxy install');
    expect(downloadIn('curl -fsS https://raw.githubusercontent.com/x/y/main/i.sh | sh', lab)).toBe('raw.githubusercontent.com');
    expect(downloadIn('echo https://github.com', lab)).toBeUndefined();
  });
});
