// The Lynis check's audit reuse, run with sh against a stand-in `lynis` on PATH that counts its
// runs: audited the first time, reused while the state digest and the report are the recorded
// ones, audited again when the report was replaced or the recorded state differs.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { lynisIndex, lynisScript } from '../src/checks/access.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-lynis-'));
const files = { report: join(dir, 'lynis-report.dat'), state: join(dir, 'lynis-report.asd-state') };
const runs = join(dir, 'runs');
writeFileSync(runs, '');
writeFileSync(
  join(dir, 'lynis'),
  `#!/bin/sh\necho run >> ${runs}\nwhile [ $# -gt 0 ]; do [ "$1" = --report-file ] && printf 'hardening_index=87\\nreport_datetime_end=x\\n' > "$2"; shift; done\n`,
);
chmodSync(join(dir, 'lynis'), 0o755);

async function audit() {
  const r = await execa('sh', ['-c', lynisScript(files)], { env: { PATH: `${dir}:${process.env.PATH}` } });
  return {
    kind: /^asd-audit=(new|reused) /m.exec(r.stdout)?.[1],
    index: lynisIndex(r.stdout),
    runs: readFileSync(runs, 'utf8').split('\n').filter(Boolean).length,
  };
}

describe('lynis-hardening-index reuses an audit only while nothing changed', () => {
  it('audits, reuses, and audits again after a replaced report or another recorded state', async () => {
    expect(await audit()).toEqual({ kind: 'new', index: 87, runs: 1 });
    expect(await audit()).toEqual({ kind: 'reused', index: 87, runs: 1 });
    // Someone ran Lynis by hand with other options: the report is not the one recorded.
    writeFileSync(files.report, 'hardening_index=99\n');
    expect(await audit()).toEqual({ kind: 'new', index: 87, runs: 2 });
    // The server changed since (its digest is not the recorded one).
    const [, sha] = readFileSync(files.state, 'utf8').trim().split(' ');
    writeFileSync(files.state, `0000 ${sha}\n`);
    expect(await audit()).toEqual({ kind: 'new', index: 87, runs: 3 });
    expect(await audit()).toEqual({ kind: 'reused', index: 87, runs: 3 });
  }, 60_000);
});
