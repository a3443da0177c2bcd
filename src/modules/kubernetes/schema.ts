// Offline validation of rendered objects against the Kubernetes API schemas of ONE pinned
// version, shipped by the npm package kubernetes-models (generated from the Kubernetes OpenAPI
// spec; JSON-schema validators precompiled with ajv). Two passes:
//  1. the package's ajv validators: types, required fields, enums, formats (a quantity given
//     as an object, a string where an integer is due...);
//  2. unknown fields: the OpenAPI spec does not forbid extra properties, so ajv lets a typo such
//     as `readinessprobe:` through, while the API server (kubectl's default strict field
//     validation) refuses it. The same package ships TypeScript interfaces generated from the
//     same spec; each object is walked alongside its interface with the TypeScript compiler's
//     type checker, and every field that the schema does not define is reported.
// Only API versions served by the pinned Kubernetes version and used by the lab are accepted
// (the package also carries long-removed ones such as policy/v1beta1).
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from '../../core/repo.ts';
import { isObject, objectId, type K8sObject } from './render.ts';

/** The pinned schema source. Changing it is a deliberate step: bump the package, then this. */
export const SCHEMA_SOURCE = { package: 'kubernetes-models', version: '4.5.1', kubernetes: 'v1.33.0' } as const;

/** apiVersion/kind -> module of kubernetes-models and the exported interface name. */
const KINDS: Record<string, { module: string; iface: string }> = {};
const add = (apiVersion: string, kind: string) => {
  const group = apiVersion.includes('/') ? apiVersion : 'v1';
  KINDS[`${apiVersion}/${kind}`] = { module: `kubernetes-models/${group}/${kind}`, iface: `I${kind}` };
};
for (const k of [
  'Namespace',
  'ServiceAccount',
  'Service',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
  'Pod',
  'ResourceQuota',
  'LimitRange',
])
  add('v1', k);
for (const k of ['Deployment', 'StatefulSet', 'DaemonSet']) add('apps/v1', k);
for (const k of ['Job', 'CronJob']) add('batch/v1', k);
add('autoscaling/v2', 'HorizontalPodAutoscaler');
add('policy/v1', 'PodDisruptionBudget');
for (const k of ['Ingress', 'NetworkPolicy']) add('networking.k8s.io/v1', k);
add('discovery.k8s.io/v1', 'EndpointSlice');
for (const k of ['Role', 'RoleBinding']) add('rbac.authorization.k8s.io/v1', k);

/** The API versions and kinds that the validator knows (all served by the pinned version). */
export const KNOWN_KINDS = Object.keys(KINDS).sort();

export interface SchemaProblem {
  /** Kind/name of the object. */
  object: string;
  /** Dotted path inside the object, e.g. spec.template.spec.containers[0].resources.limits.cpu. */
  path: string;
  message: string;
}

export const formatSchemaProblem = (p: SchemaProblem) => `${p.object}: ${p.path || '(object)'}: ${p.message}`;

/** Validate every object; returns every problem found (empty = valid). */
export async function validateSchemas(objects: K8sObject[]): Promise<SchemaProblem[]> {
  const problems: SchemaProblem[] = [];
  const known: K8sObject[] = [];
  for (const o of objects) {
    const entry = KINDS[`${o.apiVersion}/${o.kind}`];
    if (!entry) {
      problems.push({
        object: objectId(o),
        path: 'apiVersion',
        message: `${o.apiVersion} ${o.kind} is not among the API versions accepted here (${SCHEMA_SOURCE.kubernetes}, GA): ${KNOWN_KINDS.join(', ')}`,
      });
      continue;
    }
    known.push(o);
    problems.push(...(await ajvProblems(o, entry.module)));
  }
  problems.push(...(await unknownFieldProblems(known)));
  return problems;
}

type ModelClass = new (data: unknown) => { validate(): void };
type AjvError = { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> };

async function ajvProblems(o: K8sObject, module: string): Promise<SchemaProblem[]> {
  const mod = (await import(module)) as Record<string, unknown>;
  const Cls = mod[o.kind] as ModelClass | undefined;
  if (!Cls)
    throw new Error(`${module} does not export ${o.kind}: is ${SCHEMA_SOURCE.package}@${SCHEMA_SOURCE.version} installed?`);
  try {
    new Cls(o).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    if (!errors) throw err;
    // One message per path: a quantity is "number or string" (oneOf), reported as one problem.
    const byPath = new Map<string, string[]>();
    for (const e of errors) {
      const msgs = byPath.get(e.instancePath) ?? [];
      const m =
        e.keyword === 'oneOf' || e.keyword === 'anyOf'
          ? undefined
          : e.keyword === 'required'
            ? `must have required property "${String(e.params.missingProperty)}"`
            : e.message;
      if (m && !msgs.includes(m)) msgs.push(m);
      byPath.set(e.instancePath, msgs);
    }
    return [...byPath].map(([p, msgs]) => ({
      object: objectId(o),
      path: pointerToPath(p),
      message: joinMessages(msgs),
    }));
  }
}

/** ["must be number", "must be string"] -> "must be number or string". */
function joinMessages(msgs: string[]): string {
  if (msgs.length === 0) return 'does not match the schema';
  const types = msgs.map((m) => /^must be (\w+)$/.exec(m)?.[1]);
  if (types.every((x) => x !== undefined)) return `must be ${types.join(' or ')}`;
  return msgs.join('; ');
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .reduce((acc, seg) => {
      const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s;
    }, '');
}

type SchemaProgram = {
  ts: typeof import('typescript');
  checker: import('typescript').TypeChecker;
  sf: import('typescript').SourceFile;
  rootTypes: Map<string, import('typescript').Type>;
};
let program: Promise<SchemaProgram> | undefined;

/**
 * One TypeScript program over the interfaces of every kind known here, built once per process
 * (a few seconds) and reused by every validation: validating many stacks costs one build.
 */
function schemaProgram(): Promise<SchemaProgram> {
  program ??= (async () => {
    const ts = (await import('typescript')).default;
    const modules = [...new Set(Object.values(KINDS).map((k) => k.module))];
    const source = modules
      .map((m, i) => {
        const e = Object.values(KINDS).find((k) => k.module === m)!;
        return `import type { ${e.iface} as T${i} } from ${JSON.stringify(m)};\nexport declare const v${i}: T${i};`;
      })
      .join('\n');
    const fileName = resolve(REPO_ROOT, '__k8s_schema_types__.ts');
    const options = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) =>
      name === fileName ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === fileName || fileExists(name);
    const prog = ts.createProgram([fileName], options, host);
    const sf = prog.getSourceFile(fileName)!;
    const diags = [...prog.getSyntacticDiagnostics(sf), ...prog.getSemanticDiagnostics(sf)];
    // A failed type import means the package is missing or changed: never let that pass silently.
    if (diags.length > 0) {
      throw new Error(
        `schema types from ${SCHEMA_SOURCE.package} could not be loaded: ${ts.flattenDiagnosticMessageText(diags[0]!.messageText, ' ')}`,
      );
    }
    const checker = prog.getTypeChecker();
    const rootTypes = new Map<string, import('typescript').Type>();
    for (const stmt of sf.statements) {
      if (!ts.isVariableStatement(stmt)) continue;
      const decl = stmt.declarationList.declarations[0]!;
      rootTypes.set(modules[Number(decl.name.getText(sf).slice(1))]!, checker.getTypeAtLocation(decl.name));
    }
    return { ts, checker, sf, rootTypes };
  })();
  program.catch(() => {
    // forget a failed load so the next call retries; callers still get the rejection
    program = undefined;
  });
  return program;
}

/**
 * Fields that the schema does not define. The package's TypeScript interfaces are read with the
 * TypeScript compiler's type checker and walked alongside each object: every key must be a
 * property of the expected type (or fall under a map type such as labels). Wrong types are left
 * to the ajv pass; this pass reports every unknown field, wherever it is.
 */
async function unknownFieldProblems(objects: K8sObject[]): Promise<SchemaProblem[]> {
  if (objects.length === 0) return [];
  const { ts, checker, sf, rootTypes } = await schemaProgram();
  type TsType = import('typescript').Type;
  const out: SchemaProblem[] = [];
  const walk = (v: unknown, type: TsType, path: string, object: string, typeName: string): void => {
    const t = checker.getNonNullableType(type);
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (Array.isArray(v)) {
      const item = checker.getIndexInfoOfType(t, ts.IndexKind.Number)?.type;
      if (item)
        v.forEach((x, i) => {
          walk(x, item, `${path}[${i}]`, object, typeName);
        });
      return;
    }
    if (!isObject(v)) return;
    // Object unions do not occur in the Kubernetes types; the object-like member is the schema.
    const target = t.isUnion() ? t.types.find((m) => m.flags & ts.TypeFlags.Object) : t;
    if (!target || !(target.flags & ts.TypeFlags.Object)) return;
    const name = target.aliasSymbol?.name ?? target.getSymbol()?.name ?? typeName;
    const map = checker.getIndexInfoOfType(target, ts.IndexKind.String)?.type;
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      const prop = checker.getPropertyOfType(target, k);
      if (prop) walk(x, checker.getTypeOfSymbolAtLocation(prop, sf), p, object, name);
      else if (map) walk(x, map, p, object, name);
      else
        out.push({
          object,
          path: p,
          message: `unknown field "${k}" (not in the ${SCHEMA_SOURCE.kubernetes} schema of ${shortTypeName(name)})`,
        });
    }
  };
  for (const o of objects) {
    const root = rootTypes.get(KINDS[`${o.apiVersion}/${o.kind}`]!.module)!;
    if (!checker.getPropertyOfType(root, 'kind'))
      throw new Error(`schema type of ${o.kind} has no "kind" property: did ${SCHEMA_SOURCE.package} change?`);
    walk(o, root, '', objectId(o), o.kind);
  }
  return out;
}

/** IIoK8sApiCoreV1Container -> Container (the generated names carry the group and version). */
function shortTypeName(name: string): string {
  return name.replace(/^I?IoK8s(Api|Apimachinery)\w*?V\d+((alpha|beta)\d+)?(?=[A-Z])/, '').replace(/^I(?=[A-Z][a-z])/, '');
}

/** The version of the schema package actually installed (must equal SCHEMA_SOURCE.version). */
export function installedSchemaVersion(): string {
  const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'node_modules', SCHEMA_SOURCE.package, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
