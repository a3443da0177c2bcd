// Every artifact of the lab (stack, construct, Ansible role, script, check) declares here the
// performance criteria it exercises. Tests check that each criterion exists, that each path
// exists, and that every stack, role and script in the tree is declared.

export type ArtifactKind = 'stack' | 'role' | 'script' | 'check' | 'module';

export interface Artifact {
  kind: ArtifactKind;
  /** Short, self-explaining name. */
  name: string;
  /** Path from the repository root. */
  path: string;
  /** Criterion ids from the registry, e.g. 'CP3.2'. */
  covers: string[];
}

export const ARTIFACTS: Artifact[] = [
  { kind: 'module', name: 'cohort model (zod schema)', path: 'src/model/cohort.ts', covers: ['CP2.2'] },
];
