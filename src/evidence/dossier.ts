// The candidate's project-file skeleton (dossier de projet), following the plan the title requires:
// competencies covered, specification, technical specification with the diagram, approach and
// tools, the most significant scripts and configurations, and the research situation. Everything
// it states comes from the lab (last verify, live servers, artifacts map); what only the candidate
// can write is a placeholder marked TODO-CANDIDATE, never invented text.
import { relative, resolve } from 'node:path';
import { allArtifacts } from '../competencies/map.ts';
import type { Artifact } from '../competencies/artifacts.ts';
import { t, type Lang } from '../core/i18n/index.ts';
import { REPO_ROOT } from '../core/repo.ts';
import type { Cohort } from '../core/model/cohort.ts';
import { REPORTED_COMPETENCIES } from '../checks/run.ts';
import type { CandidateReport } from './verify-report/schema.ts';
import type { ToolVersion } from './version.ts';
import type { Block } from './doc.ts';
import type { LabServer } from '../core/lab-server.ts';

/** Competencies the title requires a project to cover (REAC: CP2, CP7 and CP10). */
export const MANDATORY_COMPETENCIES = ['CP2', 'CP7', 'CP10'];

const KIND_RANK: Record<string, number> = { script: 0, role: 1, stack: 2, module: 3, check: 4 };

/**
 * The most significant scripts and configurations: artifacts that exercise the criteria the
 * candidate passed (all criteria when there is no verify result yet), scripts and roles first,
 * at most `perCompetency` per competency and `max` in all, each path once.
 */
export function significantArtifacts(
  last: CandidateReport | undefined,
  opts: { max?: number; perCompetency?: number; artifacts?: Artifact[] } = {},
): (Artifact & { competency: string; criteria: string[] })[] {
  const passed = last ? new Set(last.criteria.filter((c) => c.status === 'pass').map((c) => c.criterionId)) : undefined;
  const artifacts = (opts.artifacts ?? allArtifacts())
    .slice()
    .sort((a, b) => (KIND_RANK[a.kind] ?? 9) - (KIND_RANK[b.kind] ?? 9) || b.covers.length - a.covers.length);
  const seen = new Set<string>();
  const out: (Artifact & { competency: string; criteria: string[] })[] = [];
  for (const comp of REPORTED_COMPETENCIES) {
    let n = 0;
    for (const a of artifacts) {
      if (n >= (opts.perCompetency ?? 2) || out.length >= (opts.max ?? 12)) break;
      const criteria = a.covers.filter((id) => id.startsWith(`${comp.id}.`) && (!passed || passed.has(id)));
      if (criteria.length === 0 || seen.has(a.path)) continue;
      seen.add(a.path);
      out.push({ ...a, competency: comp.id, criteria });
      n++;
    }
  }
  return out;
}

export interface DossierInput {
  cohort: Cohort;
  candidate: string;
  servers: LabServer[];
  last?: CandidateReport;
  version: ToolVersion;
  tools?: Record<string, string>;
  lang: Lang;
  /** Directory the dossier is written to (links to the repository are relative to it). */
  outDir: string;
  /** Base URL of the repository (e.g. https://git.example/asd-lab): links become URL/blob/COMMIT/PATH. */
  repoUrl?: string;
  /** File name of the diagram next to the dossier (diagram.svg), and its inline SVG for the HTML. */
  diagramFile?: string;
  diagramSvg?: string;
  mermaid?: string;
}

export function artifactLink(path: string, input: Pick<DossierInput, 'repoUrl' | 'version' | 'outDir'>): string {
  if (input.repoUrl && input.version.commit !== 'unknown')
    return `${input.repoUrl.replace(/\/$/, '')}/blob/${input.version.commit}/${path}`;
  return relative(resolve(input.outDir), resolve(REPO_ROOT, path)) || path;
}

export function dossierBlocks(input: DossierInput): Block[] {
  const { lang } = input;
  const L = (key: Parameters<typeof t>[0], params: Record<string, string | number> = {}) => t(key, params, lang);
  const cand = input.cohort.candidates.find((c) => c.id === input.candidate);
  const last = input.last;
  const blocks: Block[] = [];
  blocks.push({ kind: 'h', level: 1, text: L('dossier.title', { candidate: cand?.name ?? input.candidate }) });
  blocks.push({
    kind: 'p',
    text: L('dossier.intro', {
      cohort: input.cohort.cohort,
      version: input.version.version,
      commit: input.version.commit.slice(0, 12),
    }),
  });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.identity') });

  // 1. Competencies covered, from the last verify result.
  blocks.push({ kind: 'h', level: 2, text: L('dossier.s1'), id: 'competencies' });
  if (!last) blocks.push({ kind: 'p', text: L('dossier.noVerify') });
  else blocks.push({ kind: 'p', text: L('dossier.fromVerify', { date: last.finishedAt }) });
  const rows: string[][] = [];
  for (const comp of REPORTED_COMPETENCIES) {
    const cov = last?.criteria.filter((c) => c.competency === comp.id) ?? [];
    const passed = cov.filter((c) => c.status === 'pass').map((c) => c.criterionId);
    const failed = cov.filter((c) => c.status === 'fail').map((c) => c.criterionId);
    const state = !last
      ? L('dossier.unknown')
      : passed.length === comp.criteria.length
        ? L('dossier.covered')
        : passed.length > 0
          ? L('dossier.partly')
          : L('dossier.notShown');
    rows.push([
      `${comp.id}${MANDATORY_COMPETENCIES.includes(comp.id) ? ' *' : ''}`,
      lang === 'fr' ? comp.fr : `${comp.fr} (${comp.en})`,
      state,
      `${passed.join(', ') || '-'}${failed.length ? ` (${L('dossier.failed')}: ${failed.join(', ')})` : ''}`,
    ]);
  }
  blocks.push({
    kind: 'table',
    head: [L('report.col.competency'), L('report.col.title'), L('dossier.col.state'), L('dossier.col.passed')],
    rows,
  });
  blocks.push({ kind: 'p', text: L('dossier.mandatory', { list: MANDATORY_COMPETENCIES.join(', ') }) });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.competencies') });

  // 2. Specification (cahier des charges): only the candidate can write it.
  blocks.push({ kind: 'h', level: 2, text: L('dossier.s2'), id: 'specification' });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.context') });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.requirements') });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.constraints') });

  // 3. Technical specification with the diagram, from the live state.
  blocks.push({ kind: 'h', level: 2, text: L('dossier.s3'), id: 'technical' });
  blocks.push({ kind: 'p', text: L('dossier.diagramFrom') });
  if (input.diagramFile)
    blocks.push({ kind: 'image', src: input.diagramFile, alt: L('report.diagram'), inlineSvg: input.diagramSvg });
  else if (input.mermaid) blocks.push({ kind: 'code', lang: 'mermaid', text: input.mermaid });
  blocks.push({
    kind: 'table',
    head: [L('report.col.server'), L('report.col.role'), L('report.col.address'), L('report.col.state')],
    rows: input.servers.map((s) => [s.name, s.role, s.address, s.state]),
  });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.architecture') });

  // 4. Approach and tools: the tools are facts of the lab; the approach is the candidate's.
  blocks.push({ kind: 'h', level: 2, text: L('dossier.s4'), id: 'approach' });
  const tools = Object.entries(input.tools ?? {}).map(([k, v]) => `${k}: ${v}`);
  blocks.push({ kind: 'list', items: [`asd-lab ${input.version.version} (${input.version.commit.slice(0, 12)})`, ...tools] });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.approach') });

  // 5. The most significant scripts and configurations, selected from the artifacts map.
  blocks.push({ kind: 'h', level: 2, text: L('dossier.s5'), id: 'scripts' });
  const picked = significantArtifacts(last);
  blocks.push({
    kind: 'p',
    text: L(!last ? 'dossier.selectedAll' : picked.length ? 'dossier.selectedPassed' : 'dossier.selectedNone'),
  });
  blocks.push({
    kind: 'link-list',
    items: picked.map((a) => ({
      text: a.path,
      href: artifactLink(a.path, input),
      note: `${a.kind}, ${a.criteria.join(', ')}: ${a.name}`,
    })),
  });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.scripts') });

  // 6. Research situation.
  blocks.push({ kind: 'h', level: 2, text: L('dossier.s6'), id: 'research' });
  blocks.push({ kind: 'placeholder', text: L('dossier.ph.research') });
  return blocks;
}
