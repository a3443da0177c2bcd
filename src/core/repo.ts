// Where the tool's own files are: the repository root and the folders the code reads at run time.
// One definition, so that moving a module never changes what it finds.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or installed package) root: two levels above this file (src/core/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Server-creation scripts (bash, Python, PowerShell) and the host package list. */
export const SCRIPTS_DIR = resolve(REPO_ROOT, 'scripts');
/** Ansible playbooks and roles, the same on both targets. */
export const ANSIBLE_DIR = resolve(REPO_ROOT, 'ansible');
/** The reference application (a project like a candidate's). */
export const REFERENCE_APP_DIR = resolve(REPO_ROOT, 'reference-app');
/** The embedded default cohort: the solo example shipped with the tool. */
export const DEFAULT_COHORT_FILE = resolve(REPO_ROOT, 'examples/solo.yaml');
