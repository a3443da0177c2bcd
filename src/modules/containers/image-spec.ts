// What the reference app's image is made of, as data: the files it holds, its user, its
// configuration. Pure functions, tested without building anything (test/containers.test.ts).

export const APP_UID = 10001;
export const APP_GID = 10001;
export const IMAGE_REPO = 'localhost/asd-lab/app';

export function imageRef(version: string): string {
  return `${IMAGE_REPO}:${version}`;
}

/** /etc/passwd and /etc/group of the image: root (owner of the files) and the unprivileged "app". */
export function accountFiles(): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:${APP_UID}:${APP_GID}:asd-app:/nonexistent:/usr/sbin/nologin\n`,
    group: `root:x:0:\napp:x:${APP_GID}:\n`,
  };
}

/** Directories of the image: mount points of the runtime and of the volumes. */
export const IMAGE_DIRS: { path: string; mode: number; owner?: number }[] = [
  { path: 'app', mode: 0o755 },
  { path: 'data', mode: 0o750, owner: APP_UID },
  { path: 'run/edge', mode: 0o755 },
  { path: 'tmp', mode: 0o1777 },
  { path: 'dev', mode: 0o755 },
  { path: 'proc', mode: 0o555 },
  { path: 'sys', mode: 0o555 },
  { path: 'etc', mode: 0o755 },
];

/**
 * `buildah config` arguments: non-root user, entrypoint, ports, environment, OCI labels.
 * The root filesystem is made read-only by the runtime (podman --read-only, nspawn root.readonly).
 */
export function buildahConfigArgs(version: string, opts: { created?: string; revision?: string } = {}): string[] {
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': 'asd-app',
    'org.opencontainers.image.description': 'asd-lab reference application (API, worker, edge)',
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.licenses': 'MIT',
    'org.opencontainers.image.base.name': 'scratch',
    ...(opts.revision ? { 'org.opencontainers.image.revision': opts.revision } : {}),
    ...(opts.created ? { 'org.opencontainers.image.created': opts.created } : {}),
  };
  return [
    '--user',
    `${APP_UID}:${APP_GID}`,
    '--workingdir',
    '/app',
    '--entrypoint',
    JSON.stringify(['/usr/bin/node', '/app/app.cjs']),
    '--cmd',
    'api',
    '--port',
    '8080/tcp',
    '--env',
    'NODE_ENV=production',
    '--env',
    'HOME=/tmp',
    '--env',
    'PATH=/usr/bin',
    '--volume',
    '/data',
    '--stop-signal',
    'SIGTERM',
    '--os',
    'linux',
    '--arch',
    'amd64',
    ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
  ];
}

/** Parse `ldd` output into the absolute paths of the shared objects, the loader included. */
export function parseLdd(output: string): string[] {
  const out = new Set<string>();
  for (const line of output.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow) out.add(arrow[1]!);
    else {
      const bare = /^\s*(\/\S+)\s+\(0x/.exec(line);
      if (bare) out.add(bare[1]!);
    }
    if (/not found/.test(line)) throw new Error(`ldd: ${line.trim()}`);
  }
  return [...out];
}
