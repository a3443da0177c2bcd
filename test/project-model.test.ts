// The project contract (src/core/model/project.ts): what asd-project.yaml accepts, every problem at
// once with its file:line:col and field path (the cohort's machinery), and its generated reference.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../src/core/i18n/index.ts';
import { exitCodeOf } from '../src/core/errors.ts';
import { formatProblem } from '../src/core/model/load.ts';
import { PROJECT_DOC_BEGIN, PROJECT_DOC_END, renderProjectDoc, renderProjectFields } from '../src/core/model/docs.ts';
import { loadProject, parseProject, ProjectFileError } from '../src/core/model/project.ts';
import { generatedDocs } from '../src/cli/commands/docs.ts';
import { REPO_ROOT } from '../src/core/repo.ts';

const SAMPLE = resolve(REPO_ROOT, 'examples/project-shopfront');

/** The problems of a manifest text, formatted as the CLI prints them. */
function problems(text: string): string[] {
  try {
    parseProject(text, 'p.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ProjectFileError);
    const e = err as ProjectFileError;
    expect(exitCodeOf(e)).toBe(2);
    return e.problems.map((p) => formatProblem('p.yaml', p));
  }
  throw new Error('the manifest was accepted');
}

afterEach(() => setLang('en'));

describe('asd-project.yaml', () => {
  it('reads the sample project, with the defaults filled in', () => {
    const { value: p } = loadProject(SAMPLE);
    expect(p.name).toBe('shopfront');
    expect(p.competencies).toEqual(['CP2', 'CP7', 'CP10']);
    expect(p.ansible?.groups).toEqual({ webservers: ['app'] });
    expect(p.containers?.images).toEqual({ 'python:3.12-slim': 'python' });
    expect(p.monitoring?.drills[0]?.within).toBe('3m');
    const minimal = parseProject(
      [
        'schema: 1',
        'name: mini',
        'competencies: [CP2, CP7, CP10]',
        'ansible: {playbooks: [site.yml], user: ops}',
        'containers: {servers: [app]}',
        'monitoring:',
        '  scrape: [{job: api, server: app, port: 8000}]',
        '  rules: [alerts.yml]',
        '  drills: [{name: down, alert: Down, server: app, break: "x", repair: "y"}]',
      ].join('\n'),
      'mini.yaml',
    ).value;
    expect(minimal.containers).toEqual({ engine: 'docker', servers: ['app'], images: {}, ports: [] });
    expect(minimal.monitoring?.scrape[0]).toMatchObject({ path: '/metrics', scheme: 'http' });
    expect(minimal.packages.apt).toEqual([]);
    expect(minimal.evidence).toEqual([]);
  });

  it('lists every problem at once, each with file:line:col and field path, in the order of the file', () => {
    const text = [
      'schema: 2', // 1
      'name: Shop Front', // 2
      'competencies: [CP2, CP2, CP12]', // 3
      'ansible:', // 4
      '  playbook: [site.yml]', // 5
      '  user: root', // 6
      '  collections: [Community.Docker]', // 7
      'containers:', // 8
      '  servers: [app]', // 9
      '  images: {"mysql:8": mysql}', // 10
      '  ports: [8000, 8000, 70000]', // 11
      'monitoring:', // 12
      '  rules: [/etc/prometheus/alerts.yml, ../alerts.yml]', // 13
      '  drills: [{name: down, alert: Down, server: app, break: x, repair: y, within: 3 minutes}]', // 14
      'evidence: ["docs/**/*.md"]', // 15
    ].join('\n');
    const got = problems(text);
    expect(got).toEqual([
      'p.yaml:1:9: schema: Invalid input: expected 1',
      'p.yaml:2:7: name: must be a DNS label (lowercase letters, digits and "-", starting with a letter, at most 32 characters), got "Shop Front"',
      'p.yaml:3:15: competencies: the exam project must claim at least CP2, CP7 and CP10: missing CP7, CP10',
      'p.yaml:3:21: competencies[1]: "CP2" is given twice',
      'p.yaml:3:26: competencies[2]: Invalid option: expected one of "CP1"|"CP2"|"CP3"|"CP4"|"CP5"|"CP6"|"CP7"|"CP8"|"CP9"|"CP10"|"CP11"',
      // the missing key is placed at its parent's first key, the unknown one at itself
      'p.yaml:5:3: ansible.playbooks: Invalid input: expected array, received undefined',
      'p.yaml:5:3: ansible.playbook: unknown key "playbook": did you mean "playbooks"?',
      'p.yaml:6:9: ansible.user: "root" is an account of the system or of the lab: give the project its own user (e.g. ops)',
      'p.yaml:7:17: ansible.collections[0]: Invalid string: must match pattern /^[a-z0-9_]+\\.[a-z0-9_]+$/',
      'p.yaml:10:23: containers.images.mysql:8: Invalid option: expected one of "debian"|"node"|"python"|"postgres"|"nginx"',
      'p.yaml:11:17: containers.ports[1]: "8000" is given twice',
      'p.yaml:11:23: containers.ports[2]: Too big: expected number to be <=65535',
      'p.yaml:13:11: monitoring.rules[0]: must be a path inside the project, relative to its root (no leading "/", no ".."), got "/etc/prometheus/alerts.yml"',
      'p.yaml:13:39: monitoring.rules[1]: must be a path inside the project, relative to its root (no leading "/", no ".."), got "../alerts.yml"',
      'p.yaml:14:80: monitoring.drills[0].within: must be a duration such as 90s, 3m or 1h, got "3 minutes"',
    ]);
  });

  it('backs each claim by its section, and CP10 by rules and drills', () => {
    const got = problems(['schema: 1', 'name: p', 'competencies: [CP2, CP7, CP8, CP10]', 'monitoring: {scrape: []}'].join('\n'));
    expect(got).toEqual([
      'p.yaml:3:16: competencies[0]: CP2 is claimed but the manifest has no ansible.playbooks to grade it by',
      'p.yaml:3:21: competencies[1]: CP7 is claimed but the manifest has no containers to grade it by',
      'p.yaml:3:26: competencies[2]: CP8 is claimed but the manifest has no kubernetes to grade it by',
      'p.yaml:4:13: monitoring: CP10 is claimed: monitoring.rules must not be empty (an alert must fire and resolve in a drill)',
      'p.yaml:4:13: monitoring: CP10 is claimed: monitoring.drills must not be empty (an alert must fire and resolve in a drill)',
    ]);
  });

  it('says plainly when asd-project.yaml or the directory is missing (exit 2), in French too', () => {
    const empty = mkdtempSync(join(tmpdir(), 'asd-project-'));
    const err = (dir: string) => {
      try {
        loadProject(dir);
      } catch (e) {
        return e as ProjectFileError;
      }
      throw new Error('no error');
    };
    const e = err(empty);
    expect(exitCodeOf(e)).toBe(2);
    expect(e.message).toBe(
      `${join(empty, 'asd-project.yaml')}: no asd-project.yaml in ${empty}: every project brought to the lab has one at its root (docs/project.md)`,
    );
    expect(err(join(empty, 'nope')).message).toContain(`the project directory ${join(empty, 'nope')} does not exist`);
    setLang('fr');
    expect(err(empty).message).toContain(`pas de asd-project.yaml dans ${empty}`);
    expect(problems('schema: 1\nname: p\ncompetencies: [CP2, CP7, CP10]\nansibel: {}')).toContain(
      'p.yaml:4:1: ansibel: clé inconnue « ansibel » : vouliez-vous dire « ansible » ?',
    );
  });

  it('keeps the hand-written text of docs/project.md around its generated part, which is current', () => {
    const current = readFileSync(resolve(REPO_ROOT, 'docs/project.md'), 'utf8');
    const generated = new Map(generatedDocs());
    expect(generated.get('docs/project.md')).toBe(current);
    expect(JSON.parse(generated.get('docs/project.schema.json')!)).toEqual(
      JSON.parse(readFileSync(resolve(REPO_ROOT, 'docs/project.schema.json'), 'utf8')),
    );
    const doc = renderProjectDoc(`# intro\n\n${PROJECT_DOC_BEGIN}\nstale\n${PROJECT_DOC_END}\n\n## after\n`);
    expect(doc.startsWith(`# intro\n\n${PROJECT_DOC_BEGIN}\n`)).toBe(true);
    expect(doc).toContain(renderProjectFields());
    expect(doc).not.toContain('stale');
    expect(doc.endsWith(`${PROJECT_DOC_END}\n\n## after\n`)).toBe(true);
    expect(() => renderProjectDoc('# no markers')).toThrow(/markers/);
    // every field of the schema is in the table
    for (const field of ['`ansible.groups`', '`containers.images`', '`monitoring.drills[].within`', '`evidence`'])
      expect(current).toContain(field);
  });
});
