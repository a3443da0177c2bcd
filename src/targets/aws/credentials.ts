// Where AWS credentials may come from, checked before anything is created, WITHOUT reading or
// printing a secret and without any network call (no STS, no instance metadata probe): only which
// variables are set and which profile files exist and name the profile. Terraform's AWS provider
// then finds them through the same standard chain. The cohort file never holds credentials: the
// model has no such field, and a key pasted into it is refused (credentialsInText).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface CredentialSource {
  /** What was found, e.g. "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)" or "profile lab in ~/.aws/credentials". */
  found?: string;
  /** Everything that was looked for, in order: what the error message lists when nothing is found. */
  lookedFor: string[];
}

function sectionNames(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => /^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x));
}

/** The first credential source of the AWS default chain that is present (names only, never values). */
export function findCredentials(env: NodeJS.ProcessEnv = process.env, home = homedir()): CredentialSource {
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const configFile = env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
  const lookedFor = [
    'AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)',
    'AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI',
    `profile "${profile}" (AWS_PROFILE) in ${credentialsFile} (AWS_SHARED_CREDENTIALS_FILE) or ${configFile} (AWS_CONFIG_FILE)`,
  ];
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    const vars = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', ...(env.AWS_SESSION_TOKEN ? ['AWS_SESSION_TOKEN'] : [])];
    return { found: `environment (${vars.join(', ')})`, lookedFor };
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN && existsSync(env.AWS_WEB_IDENTITY_TOKEN_FILE))
    return { found: 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)', lookedFor };
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI)
    return { found: 'container credentials (AWS_CONTAINER_CREDENTIALS_*)', lookedFor };
  for (const file of [credentialsFile, configFile]) {
    if (sectionNames(file).includes(profile)) return { found: `profile "${profile}" in ${file}`, lookedFor };
  }
  return { lookedFor };
}

/** Patterns of AWS secrets that must never sit in a cohort file (an access key id, a secret key line). */
const SECRET_PATTERNS = [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, /aws_secret_access_key/i, /aws_session_token/i];

/** The 1-based lines of a text that look like AWS credentials (the text itself is never echoed). */
export function credentialsInText(text: string): number[] {
  return text.split('\n').flatMap((line, i) => (SECRET_PATTERNS.some((p) => p.test(line)) ? [i + 1] : []));
}
