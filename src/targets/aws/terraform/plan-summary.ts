// Reading `terraform show -json` of a plan: counts as Terraform prints them, resources grouped by
// candidate, and the tag policy check (every taggable resource carries the required tags).

/** A synthesized stack, as the runner needs it (stacks/index.ts StackInfo has this shape). */
export interface StackRef {
  name: string;
  kind: string;
  candidate?: string;
  /** Directory of the Terraform JSON. */
  dir: string;
}

/** The parts of Terraform's JSON plan format (format_version 1.x) that asd-lab reads. */
export interface PlanJson {
  format_version: string;
  terraform_version?: string;
  resource_changes?: {
    address: string;
    mode: 'managed' | 'data';
    type: string;
    name: string;
    change: { actions: string[]; after: Record<string, unknown> | null; after_unknown?: Record<string, unknown> };
  }[];
  planned_values?: { outputs?: Record<string, { value?: unknown; sensitive?: boolean }> };
  variables?: Record<string, { value?: unknown }>;
}

export interface PlannedResource {
  address: string;
  type: string;
  actions: string[];
  /** Planned attribute values (unknown ones absent). */
  values: Record<string, unknown>;
}

export interface StackPlan {
  stack: StackRef;
  add: number;
  change: number;
  destroy: number;
  /** Every managed resource of the plan, unchanged ones (no-op) included: the cost is of what will exist. */
  resources: PlannedResource[];
  /** Resources by the candidate they belong to (tag `candidate`, else the stack's candidate). */
  byCandidate: Record<string, PlannedResource[]>;
  /** Resources of no candidate: the cohort's shared infrastructure. */
  shared: PlannedResource[];
  /** Output values known at plan time. */
  outputs: Record<string, unknown>;
  /** Input variable values of the plan. */
  variables: Record<string, unknown>;
  /** Addresses of taggable resources that lack a required tag (or whose tags are unknown at plan). */
  missingTags: string[];
}

export const REQUIRED_TAGS = ['cohort', 'expires'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Tags problems of one planned resource: tags_all (provider default_tags merged) and root volume tags. */
function tagProblems(values: Record<string, unknown>, unknown: Record<string, unknown> | undefined, required: string[]): boolean {
  const lacks = (tags: unknown) => !isObj(tags) || required.some((k) => typeof tags[k] !== 'string' || tags[k] === '');
  if ('tags_all' in values || unknown?.tags_all === true) {
    if (lacks(values.tags_all)) return true;
  }
  // Block devices are not covered by default_tags at plan time: their own tags must carry the keys.
  const root = values.root_block_device;
  if (Array.isArray(root)) for (const d of root) if (isObj(d) && lacks(d.tags)) return true;
  return false;
}

export function summarizePlan(stack: StackRef, plan: PlanJson, required: string[] = REQUIRED_TAGS): StackPlan {
  const out: StackPlan = {
    stack,
    add: 0,
    change: 0,
    destroy: 0,
    resources: [],
    byCandidate: {},
    shared: [],
    outputs: {},
    variables: {},
    missingTags: [],
  };
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== 'managed') continue;
    const a = rc.change.actions;
    if (a.includes('create')) out.add++;
    if (a.includes('delete')) out.destroy++;
    if (a.includes('update')) out.change++;
    const values = rc.change.after ?? {};
    const r: PlannedResource = { address: rc.address, type: rc.type, actions: a, values };
    out.resources.push(r);
    if (!a.includes('delete') || a.includes('create')) {
      if (tagProblems(values, rc.change.after_unknown, required)) out.missingTags.push(rc.address);
    }
    const tags = isObj(values.tags_all) ? values.tags_all : {};
    const cand = typeof tags.candidate === 'string' ? tags.candidate : stack.candidate;
    if (cand) (out.byCandidate[cand] ??= []).push(r);
    else out.shared.push(r);
  }
  for (const [k, v] of Object.entries(plan.planned_values?.outputs ?? {})) {
    if ('value' in v && !v.sensitive) out.outputs[k] = v.value;
  }
  for (const [k, v] of Object.entries(plan.variables ?? {})) out.variables[k] = v.value;
  return out;
}

/** Resources that will exist after the apply (the cost is theirs): everything but pure deletions. */
export const remaining = (rs: PlannedResource[]) => rs.filter((r) => !(r.actions.length === 1 && r.actions[0] === 'delete'));
