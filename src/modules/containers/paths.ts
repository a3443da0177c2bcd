// Where the app's images and deployments live in the lab state directory (never in git).
import path from 'node:path';

export function appPaths(stateDir: string) {
  const root = path.join(stateDir, 'app');
  return {
    root,
    images: path.join(root, 'images'),
    /** One directory per release: oci/ (OCI image layout), image.json, sbom.spdx.json. */
    image: (version: string) => path.join(root, 'images', version),
    /** Unpacked root filesystems, one per image digest, shared read-only by the instances. */
    rootfs: (digest: string) => path.join(root, 'rootfs', digest.replace(/^sha256:/, '')),
    env: (cohort: string, candidate: string, env: string) => path.join(root, 'deploy', cohort, candidate, env),
    mounts: (cohort: string, candidate: string, env: string) => path.join(root, 'mnt', cohort, candidate, env),
  };
}
