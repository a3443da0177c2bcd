// `asd-lab project validate DIR`: a candidate's asd-project.yaml against its schema (exit 2 on a
// problem), then every need the lab cannot meet, all listed at once with the field path they come
// from and their file:line:col (exit 1), before anything is deployed:
// - files the manifest names that are not in the project (playbooks, rule files, manifests,
//   evidence globs matching nothing);
// - Ansible collections that Debian 12's ansible package does not ship (asked of ansible-galaxy),
//   declared or used by a task's fully-qualified module name;
// - downloads the servers cannot make (they reach no Internet): Galaxy requirements files, pip,
//   get_url/git/unarchive or curl/wget/git clone from outside the lab, outside apt repositories,
//   pip or GitHub downloads in a Dockerfile's RUN;
// - apt packages apt does not know, and packages a task installs that packages.apt does not declare;
// - images of Dockerfiles and compose files not mapped to an image the lab provides;
// - servers the candidate's lab does not have (groups, containers, scrape jobs, drills), play
//   `hosts:` naming a group the manifest does not map, ports the lab itself uses on those servers,
//   scrape targets the firewall would not open;
// - alert rule files promtool rejects, drills naming an alert the rules do not define;
// - Kubernetes objects on a target without a cluster.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMap, isSeq, type Node, type Pair, visit } from 'yaml';
import { AsdError } from '../../core/errors.ts';
import { FLOWS } from '../../core/flows.ts';
import { t } from '../../core/i18n/index.ts';
import { type Candidate, type Cohort, serversOf } from '../../core/model/cohort.ts';
import { formatProblem, formatPath } from '../../core/model/load.ts';
import { LAB_IMAGE_NAMES, loadProject, type Project } from '../../core/model/project.ts';
import { CORE_COLLECTIONS, debianCollections, knownAptPackages } from '../../tools/debian.ts';
import { runTool } from '../monitoring/tools.ts';
import {
  dockerInstructions,
  globRegExp,
  isComposeFile,
  isDockerfile,
  normalizeImage,
  projectFiles,
  readYaml,
  scalarText,
  stringsOf,
  valueAt,
  type YamlFile,
} from './files.ts';

/** One need the lab cannot meet: the manifest's field it comes from, and where it is. */
export interface Need {
  /** Field path in asd-project.yaml (ansible.collections[0]...). */
  path: string;
  message: string;
  /** The file the position is in, relative to the project (default: asd-project.yaml). */
  file?: string;
  line?: number;
  col?: number;
}

export interface ProjectValidation {
  dir: string;
  file: string;
  project: Project;
  /** The candidates whose lab the project was checked against. */
  candidates: string[];
  needs: Need[];
}

/** A project whose needs the lab cannot meet: every one listed, exit 1, nothing deployed. */
export class ProjectNeedsError extends AsdError<Need> {
  constructor(readonly validation: ProjectValidation) {
    const { dir, file, needs } = validation;
    super(needs.map((n) => formatProblem(n.file ? join(dir, n.file) : file, n)).join('\n'), {
      kind: 'user',
      problems: needs,
      header: t('project.needsHeader', { count: needs.length, file }),
    });
  }

  override jsonReport(): unknown {
    return validationJson(this.validation);
  }
}

/** The --json document of `project validate`, the same shape whether needs were found or not. */
export function validationJson(v: ProjectValidation) {
  return {
    dir: v.dir,
    file: v.file,
    valid: true,
    ok: v.needs.length === 0,
    candidates: v.candidates,
    needs: v.needs,
    project: v.project,
  };
}

/**
 * Whether the cohort's target gives a candidate a Kubernetes cluster. Neither does yet: the local
 * target runs none (`k8s apply` takes an outside cluster's --kubeconfig) and on aws the k3s role of
 * the k8s node is not built (docs/aws.md).
 */
export function kubernetesCluster(cohort: Cohort): boolean {
  return cohort.target !== 'local' && cohort.target !== 'aws';
}

const ANSIBLE_TASK_LISTS = ['tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always'];
const short = (module: string) => module.replace(/^ansible\.(builtin|legacy)\./, '');
const PIP_CMD = /\b(pip3?|python3?\s+-m\s+pip)\s+install\b/;
const GALAXY_CMD = /\bansible-galaxy\s+((collection|role)\s+)?install\b/;
const FETCH_CMD = /\b(curl|wget|git\s+(clone|pull|fetch)|ansible-pull)\b/;
const URL_RE = /\b(?:https?|git|ssh|ftp):\/\/(?:[^@/\s'"]+@)?([^/\s'":{}]+)|\bgit@([^:\s'"]+):/g;

/** Validate the project in dir against the lab of these candidates; throws ProjectFileError on a schema problem. */
export async function validateProject(dir: string, cohort: Cohort, candidates: Candidate[]): Promise<ProjectValidation> {
  const { value: project, where, file } = loadProject(dir);
  const needs: Need[] = [];
  const at = (path: (string | number)[], message: string): void => {
    needs.push({ path: formatPath(path), message, ...where(path) });
  };
  const files = projectFiles(dir);
  const fileSet = new Set(files);
  const dirs = new Set(
    files.flatMap((f) =>
      f
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
    ),
  );

  // Lab servers of each candidate, and who lacks a server the project names.
  const labs = candidates.map((c) => ({ id: c.id, servers: serversOf(cohort, c) }));
  const lackingServer = (path: (string | number)[], server: string) => {
    const without = labs.filter((l) => !l.servers.some((s) => s.name === server));
    if (without.length === 0) return;
    const servers = [...new Set(without.flatMap((l) => l.servers.map((s) => s.name)))].join(', ');
    at(
      path,
      t('project.need.server', { server, candidates: without.map((l) => l.id).join(', '), count: without.length, servers }),
    );
  };
  const labServerNames = new Set(labs.flatMap((l) => l.servers.map((s) => s.name)));

  // Files the manifest names.
  const mustBeFile = (path: (string | number)[], rel: string) => {
    if (!fileSet.has(rel)) at(path, t(dirs.has(rel) ? 'project.need.notAFile' : 'project.need.noFile', { file: rel }));
  };
  project.ansible?.playbooks.forEach((p, i) => {
    mustBeFile(['ansible', 'playbooks', i], p);
  });
  project.monitoring?.rules.forEach((p, i) => {
    mustBeFile(['monitoring', 'rules', i], p);
  });
  project.kubernetes?.manifests.forEach((p, i) => {
    if (!fileSet.has(p) && !dirs.has(p)) at(['kubernetes', 'manifests', i], t('project.need.noFile', { file: p }));
  });
  project.evidence.forEach((glob, i) => {
    const re = globRegExp(glob);
    if (!files.some((f) => re.test(f))) at(['evidence', i], t('project.need.noMatch', { glob }));
  });

  // Servers the manifest names.
  for (const [group, servers] of Object.entries(project.ansible?.groups ?? {}))
    servers.forEach((s, i) => {
      lackingServer(['ansible', 'groups', group, i], s);
    });
  project.containers?.servers.forEach((s, i) => {
    lackingServer(['containers', 'servers', i], s);
  });
  project.monitoring?.scrape.forEach((s, i) => {
    lackingServer(['monitoring', 'scrape', i, 'server'], s.server);
  });
  project.monitoring?.drills.forEach((d, i) => {
    lackingServer(['monitoring', 'drills', i, 'server'], d.server);
  });

  // Ports the lab itself listens on, on the servers that would open them for the project.
  const modulesOn = (m: readonly string[] | undefined) => (m ?? []).every((x) => cohort.modules[x as keyof Cohort['modules']]);
  project.containers?.ports.forEach((port, i) => {
    for (const server of project.containers?.servers ?? []) {
      const roles = new Set(labs.flatMap((l) => l.servers.filter((s) => s.name === server).map((s) => s.role)));
      const flow = FLOWS.find(
        (f) => f.port === port && f.to.some((r) => roles.has(r)) && modulesOn((f as { modules?: readonly string[] }).modules),
      );
      if (flow) at(['containers', 'ports', i], t('project.need.portTaken', { port, server, flow: flow.id }));
    }
  });
  // Scrape targets: mon reaches only the ports the project opens, on its container servers.
  project.monitoring?.scrape.forEach((s, i) => {
    const c = project.containers;
    if (!c?.servers.includes(s.server) || !c.ports.includes(s.port))
      at(['monitoring', 'scrape', i, 'port'], t('project.need.scrapeClosed', { server: s.server, port: s.port }));
  });

  // Collections: the declared ones, against Debian's ansible package.
  const ansible = project.ansible;
  const installed = ansible ? await debianCollections() : new Map<string, string>();
  const hasCollection = (name: string) => (CORE_COLLECTIONS as readonly string[]).includes(name) || installed.has(name);
  ansible?.collections.forEach((c, i) => {
    if (!hasCollection(c)) at(['ansible', 'collections', i], t('project.need.collection', { collection: c }));
  });

  // Galaxy requirements files anywhere in the project.
  for (const f of files.filter((f) => /(^|\/)requirements\.ya?ml$/.test(f)))
    needs.push({ path: 'ansible', file: f, message: t('project.need.galaxyRequirements', { file: f }) });

  // The Ansible tree: every YAML list under the playbooks' folders (plays, task files, handlers).
  if (ansible) {
    const roots = [...new Set(ansible.playbooks.map((p) => dirname(p)))];
    const under = (f: string) => roots.some((r) => r === '.' || f.startsWith(`${r}/`));
    const yamlFiles = files.filter((f) => /\.ya?ml$/.test(f) && under(f) && !isComposeFile(f));
    const rules = new Set(project.monitoring?.rules ?? []);
    const aptNeeded: { name: string; file: string; node: Node; y: YamlFile }[] = [];
    for (const f of yamlFiles) {
      if (rules.has(f) || /(^|\/)requirements\.ya?ml$/.test(f)) continue;
      const y = readYaml(join(dir, f));
      const playbookIndex = ansible.playbooks.indexOf(f);
      const field = playbookIndex >= 0 ? `ansible.playbooks[${playbookIndex}]` : 'ansible.playbooks';
      if (y.error) {
        if (playbookIndex >= 0)
          needs.push({ path: field, file: f, message: t('model.yaml', { detail: y.error.message }), ...posOf(y.error) });
        continue;
      }
      if (!isSeq(y.doc.contents)) continue;
      const need = (node: Node | undefined, message: string) => needs.push({ path: field, file: f, message, ...y.pos(node) });
      scanAnsible(y, ansible, hasCollection, labServerNames, need, (name, node) => aptNeeded.push({ name, file: f, node, y }));
    }
    const declared = new Set(project.packages.apt);
    for (const a of aptNeeded)
      if (!declared.has(a.name))
        needs.push({
          path: 'packages.apt',
          file: a.file,
          message: t('project.need.aptUndeclared', { pkg: a.name }),
          ...a.y.pos(a.node),
        });
  }

  // apt packages apt does not know (this host's apt lists; the lab's servers are Debian 12 like it).
  const known = await knownAptPackages(project.packages.apt);
  project.packages.apt.forEach((p, i) => {
    if (!known.has(p)) at(['packages', 'apt', i], t('project.need.aptUnknown', { pkg: p }));
  });

  // Images of Dockerfiles and compose files, and downloads in a Dockerfile's RUN steps.
  const mapped = new Map(Object.keys(project.containers?.images ?? {}).map((k) => [normalizeImage(k), k]));
  const imageFiles = files.filter((f) => isDockerfile(f) || isComposeFile(f));
  if (imageFiles.length > 0 && !project.containers)
    needs.push({
      path: 'containers',
      message: t('project.need.containersUndeclared', { files: imageFiles.join(', ') }),
      ...where([]),
    });
  const imageNeed = (image: string, f: string, line?: number, col?: number) => {
    if (mapped.has(normalizeImage(image))) return;
    needs.push({
      path: 'containers.images',
      file: f,
      message: t('project.need.imageUnmapped', { image, images: LAB_IMAGE_NAMES.join(', ') }),
      line,
      col,
    });
  };
  for (const f of files.filter(isDockerfile)) {
    const stages = new Set<string>();
    for (const ins of dockerInstructions(readFileSync(join(dir, f), 'utf8'))) {
      if (ins.instruction === 'FROM') {
        const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        const image = words[0] ?? '';
        if (words[1]?.toLowerCase() === 'as' && words[2]) stages.add(words[2].toLowerCase());
        if (stages.has(image.toLowerCase()) && words[2]?.toLowerCase() !== image.toLowerCase()) continue;
        if (image === 'scratch') continue;
        if (image.includes('$'))
          needs.push({
            path: 'containers.images',
            file: f,
            message: t('project.need.imageVariable', { image }),
            line: ins.line,
            col: 1,
          });
        else imageNeed(image, f, ins.line, 1);
      } else if (ins.instruction === 'RUN') {
        const d = downloadIn(ins.args, labServerNames);
        if (d)
          needs.push({
            path: 'containers',
            file: f,
            message: t('project.need.runDownload', { what: d }),
            line: ins.line,
            col: 1,
          });
      }
    }
  }
  for (const f of files.filter(isComposeFile)) {
    const y = readYaml(join(dir, f));
    if (y.error) {
      needs.push({ path: 'containers', file: f, message: t('model.yaml', { detail: y.error.message }), ...posOf(y.error) });
      continue;
    }
    const services = valueAt(y.doc.contents, 'services');
    if (!isMap(services)) continue;
    for (const svc of services.items) {
      const image = valueAt(svc.value, 'image');
      const text = scalarText(image);
      if (text && valueAt(svc.value, 'build') === undefined) {
        const p = y.pos(image);
        if (text.includes('$'))
          needs.push({ path: 'containers.images', file: f, message: t('project.need.imageVariable', { image: text }), ...p });
        else imageNeed(text, f, p.line, p.col);
      }
    }
  }

  // Alert rules: promtool first, then the alerts they define, for the drills.
  const alerts = new Set<string>();
  for (const [i, rel] of (project.monitoring?.rules ?? []).entries()) {
    if (!fileSet.has(rel)) continue;
    const r = await promtool(['check', 'rules', join(dir, rel)]);
    if (r.code !== 0) at(['monitoring', 'rules', i], t('project.need.promtool', { file: rel, detail: promtoolDetail(r.output) }));
    const y = readYaml(join(dir, rel));
    for (const g of (y.doc.toJS() as { groups?: { rules?: { alert?: unknown }[] }[] } | null)?.groups ?? [])
      for (const rule of g?.rules ?? []) if (typeof rule?.alert === 'string') alerts.add(rule.alert);
  }
  project.monitoring?.drills.forEach((d, i) => {
    if (!alerts.has(d.alert))
      at(
        ['monitoring', 'drills', i, 'alert'],
        t('project.need.drillAlert', { alert: d.alert, known: [...alerts].sort().join(', ') || '-' }),
      );
  });

  // Kubernetes.
  if (project.kubernetes && !kubernetesCluster(cohort))
    at(['kubernetes'], t('project.need.noCluster', { target: cohort.target }));

  // In the order of the manifest first, then per file and position.
  const order = (n: Need) => (n.file ? 1 : 0);
  needs.sort(
    (a, b) =>
      order(a) - order(b) ||
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0),
  );
  return { dir, file, project, candidates: candidates.map((c) => c.id), needs };
}

function posOf(e: { line?: number; col?: number }) {
  return { ...(e.line !== undefined ? { line: e.line } : {}), ...(e.col !== undefined ? { col: e.col } : {}) };
}

/** promtool, a missing one being a user error that names its package. */
async function promtool(args: string[]) {
  try {
    return await runTool('promtool', args);
  } catch (err) {
    throw new AsdError((err as Error).message, { kind: 'user', cause: err });
  }
}

/** promtool's own explanation, without its "Checking FILE" line. */
function promtoolDetail(output: string): string {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Checking '))
    .join(' ')
    .slice(0, 400);
}

/** What a shell command downloads from outside the lab, or undefined. */
export function downloadIn(command: string, labServers: ReadonlySet<string>): string | undefined {
  if (PIP_CMD.test(command) && !/--no-index\b/.test(command)) return 'pip install';
  if (GALAXY_CMD.test(command)) return 'ansible-galaxy install';
  if (FETCH_CMD.test(command)) {
    const host = externalHost(command, labServers);
    if (host) return host;
  }
  return undefined;
}

/** The first host of a URL_RE in text that is outside the lab (not a lab server, not this machine, not templated). */
export function externalHost(text: string, labServers: ReadonlySet<string>): string | undefined {
  for (const m of text.matchAll(URL_RE)) {
    const host = (m[1] ?? m[2] ?? '').toLowerCase();
    if (!host || host.includes('{{') || host.includes('$')) continue;
    if (labServers.has(host) || ['localhost', '127.0.0.1', '::1', '[::1]'].includes(host)) continue;
    return host;
  }
  return undefined;
}

/** The Ansible checks on one YAML file (a playbook or a task file). */
function scanAnsible(
  y: YamlFile,
  ansible: NonNullable<Project['ansible']>,
  hasCollection: (name: string) => boolean,
  labServers: ReadonlySet<string>,
  need: (node: Node | undefined, message: string) => void,
  aptPackage: (name: string, node: Node) => void,
): void {
  const declared = new Set(ansible.collections);
  const groups = new Set([...Object.keys(ansible.groups), 'all', 'ungrouped', 'localhost', ...labServers]);
  // Plays: `hosts:` must name groups the manifest maps (or lab servers).
  if (isSeq(y.doc.contents))
    for (const item of y.doc.contents.items) {
      const hosts = valueAt(item, 'hosts');
      for (const { value, node } of stringsOf(hosts)) {
        for (const part of value.split(':')) {
          const name = part.replace(/^[!&]/, '').trim();
          if (!name || /[{*~[]/.test(name) || groups.has(name)) continue;
          need(node, t('project.need.hostsGroup', { group: name }));
        }
      }
    }
  visit(y.doc, {
    Pair(_key, pair: Pair, path) {
      // a task is a mapping that is an item of a sequence
      const parent = path[path.length - 1];
      const grand = path[path.length - 2];
      if (!isMap(parent) || !isSeq(grand)) return;
      const key = scalarText(pair.key);
      if (!key || ANSIBLE_TASK_LISTS.includes(key)) return;
      const keyNode = pair.key as Node;
      const args = pair.value as Node | undefined;
      // a fully qualified module name: its collection must be Debian's and declared
      const fq = /^([a-z0-9_]+\.[a-z0-9_]+)\.[a-z0-9_]+$/.exec(key);
      if (fq) {
        const collection = fq[1]!;
        if (!hasCollection(collection)) need(keyNode, t('project.need.taskCollection', { module: key, collection }));
        else if (!(CORE_COLLECTIONS as readonly string[]).includes(collection) && !declared.has(collection))
          need(keyNode, t('project.need.collectionUndeclared', { module: key, collection }));
      }
      const mod = short(key);
      const arg = (name: string) => scalarText(valueAt(args, name));
      switch (mod) {
        case 'pip':
          need(keyNode, t('project.need.pip'));
          break;
        case 'get_url':
        case 'git':
        case 'unarchive':
        case 'subversion': {
          const url = arg('url') ?? arg('repo') ?? (mod === 'unarchive' ? arg('src') : undefined) ?? scalarText(args);
          const host = url ? externalHost(url, labServers) : undefined;
          if (host) need(keyNode, t('project.need.taskDownload', { module: mod, host }));
          break;
        }
        case 'apt_repository':
        case 'deb822_repository':
        case 'apt_key':
        case 'rpm_key':
          need(keyNode, t('project.need.aptRepository', { module: mod }));
          break;
        case 'command':
        case 'shell':
        case 'raw': {
          const cmd = scalarText(args) ?? arg('cmd') ?? arg('_raw_params') ?? '';
          const d = downloadIn(cmd, labServers);
          if (d) need(keyNode, t('project.need.commandDownload', { what: d }));
          break;
        }
        case 'apt':
        case 'package': {
          const names = valueAt(args, 'name') ?? valueAt(args, 'pkg') ?? (isMap(args) ? undefined : args);
          for (const { value, node } of stringsOf(names))
            if (value && !value.includes('{{')) aptPackage(value.replace(/[=<>].*$/, ''), node);
          const deb = arg('deb');
          const host = deb ? externalHost(deb, labServers) : undefined;
          if (host) need(keyNode, t('project.need.taskDownload', { module: mod, host }));
          break;
        }
        default:
      }
    },
  });
}
