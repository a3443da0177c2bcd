// The layering of asd-lab, checked by test/architecture.test.ts (npm test) and `npm run lint`.
// core <- tools <- targets <- modules <- checks <- lifecycle <- evidence / cli; stacks/ is the only
// importer of cdktf. A rule names what it protects; `depcruise --output-type err-long` explains it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'An import circle makes the load order and the layering undefined.', from: {}, to: { circular: true } },
    {
      name: 'core-is-the-bottom', severity: 'error',
      comment: 'src/core (model, tables, state paths, errors, i18n) is imported by every layer and imports none of them.',
      from: { path: '^src/core/' }, to: { path: '^(src|stacks|reference-app)/', pathNot: '^src/core/' },
    },
    {
      name: 'nothing-imports-the-cli', severity: 'error',
      comment: 'The CLI is a thin shell over the library: the library never calls it back.',
      from: { path: '^(src|stacks|bench)/', pathNot: '^src/cli/' }, to: { path: '^src/cli/' },
    },
    {
      name: 'commands-do-not-import-commands', severity: 'error',
      comment: 'One module per command; what two commands share lives in src/cli/*.ts or in the library.',
      from: { path: '^src/cli/commands/', pathNot: '^src/cli/commands/index\\.ts$' }, to: { path: '^src/cli/commands/' },
    },
    {
      name: 'only-stacks-import-cdktf', severity: 'error',
      comment: 'cdktf is frozen upstream: it stays at the edge, in stacks/, so the engine can be replaced.',
      from: { pathNot: '^stacks/' }, to: { path: 'node_modules/(cdktf|@cdktf|constructs)/' },
    },
    {
      name: 'tools-know-only-core', severity: 'error',
      comment: 'src/tools wraps external programs (ssh, ansible); it knows nothing of targets, modules or checks.',
      from: { path: '^src/tools/' }, to: { path: '^src/', pathNot: '^src/(core|tools)/' },
    },
    {
      name: 'targets-below-modules', severity: 'error',
      comment: 'A target makes servers and networks; the modules and the lifecycle use it, never the reverse.',
      from: { path: '^src/targets/' }, to: { path: '^src/(modules|checks|lifecycle|evidence|competencies)/' },
    },
    {
      name: 'modules-below-lifecycle', severity: 'error',
      comment: 'A module is driven by the lifecycle (up, down, verify), it does not drive it.',
      from: { path: '^src/modules/' }, to: { path: '^src/(lifecycle|evidence)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
