// The two releases of the reference app. The release is fixed at build time (esbuild replaces
// __ASD_APP_VERSION__), so an image carries exactly one of them.
export type AppVersion = 'v1' | 'v2';

declare const __ASD_APP_VERSION__: string | undefined;

export const BUILD_VERSION: string = typeof __ASD_APP_VERSION__ === 'string' ? __ASD_APP_VERSION__ : 'v2';

/** What each release offers: v2 adds GET /api/stats. The schema is the same, so v2 -> v1 is a safe rollback. */
export const FEATURES: Record<AppVersion, readonly string[]> = {
  v1: ['items'],
  v2: ['items', 'stats'],
};
