// Reading a candidate's project tree: its files, glob matching, YAML with positions, Dockerfiles and
// compose files. Pure reading, nothing is run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** Folders that are not the candidate's own files (tools' caches, dependencies, version control). */
const SKIPPED = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.tox', '.mypy_cache', '.pytest_cache']);

/** Every file under dir, as a path relative to it with "/" separators, sorted. */
export function projectFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) walk(path);
      } else if (entry.isFile() || (entry.isSymbolicLink() && isFile(join(dir, path)))) out.push(path);
    }
  };
  walk('');
  return out.sort();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    // absent or unreadable: not a file the project can use, reported by the caller as missing
    return false;
  }
}

/**
 * A glob as a regular expression over "/"-separated relative paths: `**` any number of folders,
 * `*` and `?` within one name, `{a,b}` alternatives, `[...]` a character class.
 */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // "**/" matches zero or more folders; a trailing "**" anything below
      if (glob[i + 2] === '/') {
        re += '(?:[^/]+/)*';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((alt) => globRegExp(alt).source.slice(1, -1))
          .join('|')})`;
        i = end;
      }
    } else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A YAML file read with its positions. */
export interface YamlFile {
  doc: Document;
  /** 1-based line and column of a node. */
  pos: (node: Node | undefined) => { line?: number; col?: number };
  /** The first syntax error, if any. */
  error?: { message: string; line?: number; col?: number };
}

export function readYaml(path: string): YamlFile {
  const lc = new LineCounter();
  const doc = parseDocument(readFileSync(path, 'utf8'), { lineCounter: lc, prettyErrors: true });
  const pos = (node: Node | undefined) => {
    const offset = node?.range?.[0];
    if (offset === undefined) return {};
    const { line, col } = lc.linePos(offset);
    return { line, col };
  };
  const e = doc.errors[0];
  return {
    doc,
    pos,
    ...(e
      ? {
          error: {
            message: (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, ''),
            ...(e.linePos ? { line: e.linePos[0].line, col: e.linePos[0].col } : {}),
          },
        }
      : {}),
  };
}

/** The plain value of a scalar node, as a string (undefined for anything else). */
export function scalarText(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

/** The strings of a scalar or a sequence of scalars (Ansible's `name: x` or `name: [x, y]`), with their nodes. */
export function stringsOf(node: unknown): { value: string; node: Node }[] {
  if (isScalar(node)) {
    const v = scalarText(node);
    return v === undefined ? [] : v.split(',').map((s) => ({ value: s.trim(), node }));
  }
  if (isSeq(node)) return node.items.flatMap((it) => (isScalar(it) ? stringsOf(it) : []));
  return [];
}

/** The value node of a key of a mapping node. */
export function valueAt(map: unknown, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => scalarText(p.key) === key);
  return (pair?.value ?? undefined) as Node | undefined;
}

/** A Dockerfile's (Containerfile's) instructions, with their line: continuation lines joined, comments left out. */
export function dockerInstructions(text: string): { instruction: string; args: string; line: number }[] {
  const out: { instruction: string; args: string; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i]!;
      // a comment line inside a continued instruction is dropped, and the instruction goes on
      if (/^\s*#/.test(next)) continue;
      line = `${line.replace(/\\\s*$/, ' ')}${next}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m) out.push({ instruction: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

/** Dockerfile or Containerfile, with or without a suffix (Dockerfile.dev, api.Dockerfile). */
export const isDockerfile = (path: string): boolean =>
  /(^|\/)(Dockerfile|Containerfile)(\.[^/]+)?$/.test(path) || /\.(Dockerfile|Containerfile)$/i.test(path);

/** docker-compose.yml, compose.yaml, compose.prod.yml, podman-compose.yml... */
export const isComposeFile = (path: string): boolean => /(^|\/)((docker|podman)-)?compose(\.[\w-]+)?\.ya?ml$/.test(path);

/** An image reference in one form: docker.io/library/ left out, ":latest" when no tag nor digest. */
export function normalizeImage(ref: string): string {
  let r = ref
    .trim()
    .replace(/^docker\.io\//, '')
    .replace(/^library\//, '');
  const name = r.split('/').pop() ?? r;
  if (!name.includes(':') && !r.includes('@')) r = `${r}:latest`;
  return r;
}
