// The diagram in each output format, from the live state; shared by `diagram`, `verify --html`,
// `dossier`, `bundle` and `serve`.
import { t, type Lang } from '../core/i18n/index.ts';
import type { Cohort } from '../core/model/cohort.ts';
import type { HtmlDiagram } from './verify-report/html.ts';
import { buildDiagram, candidateStates, DotMissingError, inlineSvg, renderDot, renderMermaid, renderWithDot } from './diagram.ts';
import type { LabServer } from '../core/lab-server.ts';

export type DiagramFormat = 'svg' | 'png' | 'mermaid' | 'dot';
export const DIAGRAM_FORMATS: DiagramFormat[] = ['svg', 'png', 'mermaid', 'dot'];

export async function diagramOutput(
  cohort: Cohort,
  servers: Map<string, LabServer[]>,
  format: DiagramFormat,
  lang: Lang,
  candidate?: string,
): Promise<Buffer> {
  const d = buildDiagram(cohort, candidateStates(cohort, servers, candidate), lang);
  if (format === 'mermaid') return Buffer.from(renderMermaid(d, lang));
  const dot = renderDot(d, lang);
  if (format === 'dot') return Buffer.from(dot);
  return renderWithDot(dot, format);
}

/** The diagram for an HTML page: inline SVG with Graphviz, else the Mermaid text and a note. */
export async function htmlDiagram(
  cohort: Cohort,
  servers: Map<string, LabServer[]>,
  lang: Lang,
  candidate?: string,
): Promise<HtmlDiagram> {
  const d = buildDiagram(cohort, candidateStates(cohort, servers, candidate), lang);
  try {
    return { svg: inlineSvg((await renderWithDot(renderDot(d, lang), 'svg')).toString()) };
  } catch (err) {
    if (!(err instanceof DotMissingError)) throw err;
    return { mermaid: renderMermaid(d, lang), note: t('diagram.noDotHtml', {}, lang) };
  }
}
