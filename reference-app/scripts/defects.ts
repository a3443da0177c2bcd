// The defect report for developers (CP5.4, CP8.2): reads the JUnit XML that vitest wrote and
// writes a Markdown summary: totals, then one entry per failed test with its file, message and
// the start of its stack. The pipeline keeps both files as artifacts.

export interface TestCase {
  suite: string;
  file: string;
  name: string;
  time: number;
  failure?: { message: string; type: string; details: string };
  skipped: boolean;
}

export interface JUnitSummary {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: number;
  cases: TestCase[];
}

const decode = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&amp;/g, '&');

const attrs = (tag: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g)) out[m[1]!] = decode(m[2]!);
  return out;
};

/** Parse the subset of JUnit XML that test runners write (testsuites > testsuite > testcase). */
export function parseJUnit(xml: string): JUnitSummary {
  if (!/<testsuites?\b/.test(xml)) throw new Error('not a JUnit XML report: no <testsuites> or <testsuite> element');
  const cases: TestCase[] = [];
  for (const suite of xml.matchAll(/<testsuite\b([^>]*)>([\s\S]*?)<\/testsuite>/g)) {
    const sa = attrs(suite[1]!);
    for (const tc of suite[2]!.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
      const a = attrs(tc[1]!);
      const body = tc[3] ?? '';
      const f = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
      const fa = f ? attrs(f[2]!) : {};
      cases.push({
        suite: sa.name ?? '',
        file: a.file ?? sa.file ?? sa.name ?? '',
        name: a.name ?? '',
        time: Number(a.time ?? 0),
        skipped: /<skipped\b/.test(body),
        failure: f
          ? {
              message: fa.message ?? '',
              type: fa.type ?? f[1]!,
              details: decode((f[3] ?? '').replace(/^<!\[CDATA\[|\]\]>$/g, '')).trim(),
            }
          : undefined,
      });
    }
  }
  const failures = cases.filter((c) => c.failure).length;
  return {
    tests: cases.length,
    failures,
    errors: Number(attrs(/<testsuites\b[^>]*>/.exec(xml)?.[0] ?? '').errors ?? 0),
    skipped: cases.filter((c) => c.skipped).length,
    time: cases.reduce((s, c) => s + c.time, 0),
    cases,
  };
}

export interface ReportContext {
  title: string;
  commit?: string;
  /** ISO date of the run. */
  date: string;
  junitPath: string;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

export function defectsMarkdown(sum: JUnitSummary, ctx: ReportContext): string {
  const failed = sum.cases.filter((c) => c.failure);
  const passed = sum.tests - failed.length - sum.skipped;
  const lines = [
    `# Defect report: ${ctx.title}`,
    '',
    `- date: ${ctx.date}`,
    ...(ctx.commit ? [`- commit: ${ctx.commit}`] : []),
    `- tests: ${sum.tests}, passed: ${passed}, failed: ${failed.length}, skipped: ${sum.skipped}, errors outside tests: ${sum.errors}`,
    `- full report: ${ctx.junitPath} (JUnit XML)`,
    '',
  ];
  if (!failed.length && sum.errors === 0) {
    lines.push(`**No defect**: ${passed} test(s) passed.`, '');
    return lines.join('\n');
  }
  lines.push(`**${failed.length} defect(s)** to fix:`, '', '| # | file | test | message |', '| --- | --- | --- | --- |');
  failed.forEach((c, i) => {
    lines.push(`| ${i + 1} | ${cell(c.file)} | ${cell(c.name)} | ${cell(c.failure!.message.split('\n')[0] ?? '')} |`);
  });
  lines.push('');
  failed.forEach((c, i) => {
    const details = c.failure!.details.split('\n').slice(0, 15).join('\n');
    lines.push(
      `## ${i + 1}. ${c.name}`,
      '',
      `File \`${c.file}\`, suite "${c.suite}", ${c.failure!.type}.`,
      '',
      '```text',
      details || c.failure!.message,
      '```',
      '',
    );
  });
  return lines.join('\n');
}
