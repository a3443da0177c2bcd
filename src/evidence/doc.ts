// A tiny document model rendered to both Markdown and HTML, so that the dossier's two forms
// always say the same thing.
import { esc, REPORT_CSS } from './verify-report/html.ts';

export type Block =
  | { kind: 'h'; level: 1 | 2 | 3; text: string; id?: string }
  | { kind: 'p'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'placeholder'; text: string }
  | { kind: 'image'; src: string; alt: string; inlineSvg?: string }
  | { kind: 'code'; lang: string; text: string }
  | { kind: 'link-list'; items: { text: string; href: string; note?: string }[] };

/** The mark of every passage only the candidate can write (tests count them; never filled in). */
export const PLACEHOLDER_MARK = 'TODO-CANDIDATE';

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');

export function toMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h':
        out.push(`${'#'.repeat(b.level)} ${b.text}`, '');
        break;
      case 'p':
        out.push(b.text, '');
        break;
      case 'list':
        out.push(...b.items.map((i) => `- ${i}`), '');
        break;
      case 'table':
        out.push(
          `| ${b.head.map(mdCell).join(' | ')} |`,
          `|${b.head.map(() => '---').join('|')}|`,
          ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
          '',
        );
        break;
      case 'placeholder':
        out.push(`> **[${PLACEHOLDER_MARK}]** ${b.text}`, '');
        break;
      case 'image':
        out.push(`![${b.alt}](${b.src})`, '');
        break;
      case 'code':
        out.push(`\`\`\`${b.lang}`, b.text.replace(/\n$/, ''), '```', '');
        break;
      case 'link-list':
        out.push(...b.items.map((i) => `- [${i.text}](${encodeURI(i.href)})${i.note ? ` — ${i.note}` : ''}`), '');
        break;
    }
  }
  return out.join('\n');
}

const DOSSIER_CSS = `${REPORT_CSS}
.placeholder { border: 2px dashed #c05a00; background: #fff8ec; padding: .6em .8em; margin: .8em 0; }
.placeholder strong { color: #c05a00; }
`;

export function toHtml(title: string, lang: string, blocks: Block[]): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    `<html lang="${esc(lang)}">`,
    '<head><meta charset="utf-8">',
    `<title>${esc(title)}</title>`,
    `<style>${DOSSIER_CSS}</style></head>`,
    '<body>',
  ];
  for (const b of blocks) {
    switch (b.kind) {
      case 'h':
        out.push(`<h${b.level}${b.id ? ` id="${esc(b.id)}"` : ''}>${esc(b.text)}</h${b.level}>`);
        break;
      case 'p':
        out.push(`<p>${esc(b.text)}</p>`);
        break;
      case 'list':
        out.push('<ul>', ...b.items.map((i) => `<li>${esc(i)}</li>`), '</ul>');
        break;
      case 'table':
        out.push(
          '<table>',
          `<tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`,
          ...b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`),
          '</table>',
        );
        break;
      case 'placeholder':
        out.push(`<div class="placeholder"><strong>[${PLACEHOLDER_MARK}]</strong> ${esc(b.text)}</div>`);
        break;
      case 'image':
        out.push(
          b.inlineSvg ? `<div class="diagram">${b.inlineSvg}</div>` : `<p><img src="${esc(b.src)}" alt="${esc(b.alt)}"></p>`,
        );
        break;
      case 'code':
        out.push(`<pre>${esc(b.text)}</pre>`);
        break;
      case 'link-list':
        out.push(
          '<ul>',
          ...b.items.map(
            (i) => `<li><a href="${esc(encodeURI(i.href))}">${esc(i.text)}</a>${i.note ? ` — ${esc(i.note)}` : ''}</li>`,
          ),
          '</ul>',
        );
        break;
    }
  }
  out.push('</body></html>', '');
  return out.join('\n');
}
