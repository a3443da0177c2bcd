// The image's software bill of materials, in SPDX 2.3 JSON: every file copied into the image with
// its sha256, the Debian package it came from (and that package's version), and the npm packages
// bundled into the app. Made from what was really copied, not from a declared list.
import { execa } from 'execa';

export interface SbomFile {
  /** Path inside the image, without the leading slash. */
  path: string;
  sha256: string;
  /** Debian package of the host file it was copied from, or the npm bundle. */
  package: string;
}

export interface SbomPackage {
  name: string;
  version: string;
  /** deb (host package) or npm (bundled into /app/app.cjs) or app (our own code). */
  type: 'deb' | 'npm' | 'app';
  arch?: string;
}

const spdxId = (s: string) => `SPDXRef-${s.replace(/[^A-Za-z0-9.-]/g, '-')}`;

export function purl(p: SbomPackage): string {
  if (p.type === 'deb') return `pkg:deb/debian/${p.name}@${encodeURIComponent(p.version)}${p.arch ? `?arch=${p.arch}` : ''}`;
  if (p.type === 'npm') return `pkg:npm/${p.name.replace('@', '%40')}@${p.version}`;
  return `pkg:generic/${p.name}@${p.version}`;
}

export function spdxDocument(
  image: { name: string; version: string; namespace: string; created: string },
  packages: SbomPackage[],
  files: SbomFile[],
) {
  const pkgId = (name: string) => spdxId(`Package-${name}`);
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${image.name}-${image.version}`,
    documentNamespace: image.namespace,
    creationInfo: { created: image.created, creators: ['Tool: asd-lab app image'] },
    packages: packages.map((p) => ({
      SPDXID: pkgId(p.name),
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      supplier: p.type === 'deb' ? 'Organization: Debian' : 'NOASSERTION',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl(p) }],
    })),
    files: files.map((f) => ({
      SPDXID: spdxId(`File-${f.path}`),
      fileName: `./${f.path}`,
      checksums: [{ algorithm: 'SHA256', checksumValue: f.sha256 }],
      licenseConcluded: 'NOASSERTION',
    })),
    relationships: files.map((f) => ({
      spdxElementId: pkgId(f.package),
      relationshipType: 'CONTAINS',
      relatedSpdxElement: spdxId(`File-${f.path}`),
    })),
  };
}

/** The Debian package that installed a host file, and its version (dpkg -S, dpkg-query). */
export async function debianPackageOf(file: string, realPath: string): Promise<SbomPackage> {
  // Debian 12 has a merged /usr: dpkg may know a file by its /lib path or by its /usr/lib path.
  const candidates = [...new Set([file, realPath, realPath.replace(/^\/usr\//, '/'), file.replace(/^\/usr\//, '/')])];
  for (const c of candidates) {
    const r = await execa('dpkg', ['-S', c], { reject: false });
    if (r.exitCode === 0) {
      const name = r.stdout.split('\n')[0]!.split(':').slice(0, -1).join(':').split(',')[0]!.trim();
      const q = await execa('dpkg-query', ['-W', '-f=${Version} ${Architecture}', name]);
      const [version, arch] = q.stdout.trim().split(' ');
      return { name: name.replace(/:.*$/, ''), version: version!, type: 'deb', arch };
    }
  }
  throw new Error(`${file} belongs to no Debian package (dpkg -S): the SBOM could not say where it comes from`);
}
