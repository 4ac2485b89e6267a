// What may import what (ARCHITECTURE.md, "Folders and what may import what"), checked by
// `npm run depcheck` (scripts/depcheck.mjs runs dependency-cruiser with this file) in CI.
// Tests (*.test.ts) may import anything. The layer rules count type-only imports too (a type is
// still knowledge of the other layer); the cycle rules count value imports only: a type-only
// import is erased, loads nothing and so cannot make a worker load the job master.

const TEST = '\\.test\\.ts$';
/** The package's public entries, `weir` and `weir/tools`. */
const PUBLIC_ENTRIES = '^(index|tools)\\.ts$';
/**
 * Benchmarks that measure internals without a job around them, so they import them (each with
 * why). Every other file in benchmarks/ measures Weir as a user runs it, through `weir`.
 */
const BENCHMARKS_ON_INTERNALS = [
  '^benchmarks/channels\\.ts$', // ring buffers, channels and the record codec, raw
  '^benchmarks/channels-worker\\.ts$', // the consumer side of channels.ts, on a worker thread
  '^benchmarks/state\\.ts$', // the keyed state backends (LMDB, heap), raw
];

/**
 * The folders of runtime/ and the runtime/ folders each may import VALUES from: a DAG (checked
 * below when this file loads), so there is no cycle between them. Type-only imports are free.
 * Top: api (defineJob, execute()) → job (main thread) → task (a worker's subtask) → the rest.
 * The worker never reaches job/ or api/: it finds its job in graph/job-registry.ts.
 */
const RUNTIME_VALUE_IMPORTS = {
  api: ['graph', 'job', 'connectors'],
  connectors: ['operators'], // Redis Streams, PostgreSQL: written on the public Source / Sink / AsyncFunction APIs
  job: ['checkpoint', 'graph', 'io', 'recovery', 'task', 'rest'],
  rest: ['metrics'], // the HTTP endpoint: routes, views, dashboard assets, discovery files
  metrics: [], // sampling and rates, the prom-client registry (job/ types only)
  recovery: ['checkpoint', 'operators'],
  task: ['checkpoint', 'graph', 'io', 'operators'],
  operators: ['io'],
  checkpoint: ['io'],
  graph: [],
  io: [],
};

function assertAcyclic(edges) {
  const state = {};
  const visit = (folder, trail) => {
    if (state[folder] === 'done') return;
    if (state[folder] === 'open') throw new Error(`.dependency-cruiser.cjs: RUNTIME_VALUE_IMPORTS has a cycle: ${[...trail, folder].join(' → ')}`);
    state[folder] = 'open';
    for (const next of edges[folder] ?? []) visit(next, [...trail, folder]);
    state[folder] = 'done';
  };
  for (const folder of Object.keys(edges)) visit(folder, []);
}
assertAcyclic(RUNTIME_VALUE_IMPORTS);

const runtimeFolderRules = Object.entries(RUNTIME_VALUE_IMPORTS).map(([folder, allowed]) => ({
  name: `runtime-${folder}-value-imports`,
  comment:
    `runtime/${folder}/ may import values only from runtime/{${allowed.join(', ')}}/ (and itself): ` +
    'the runtime/ folders form a DAG under value imports (RUNTIME_VALUE_IMPORTS in .dependency-cruiser.cjs). ' +
    'Import a type with `import type`, or move what both sides need below them.',
  severity: 'error',
  from: { path: `^runtime/${folder}/`, pathNot: TEST },
  to: {
    path: '^runtime/[^/]+/',
    pathNot: [`^runtime/(${[folder, ...allowed].join('|')})/`, TEST],
    dependencyTypesNot: ['type-only'],
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'substrate-imports-runtime',
      comment:
        'actors/ and state/ are the substrate under the streaming engine: they import nothing ' +
        'from runtime/, nor from the CLI, examples, benchmarks or tests.',
      severity: 'error',
      from: { path: '^(actors|state)/', pathNot: TEST },
      to: { path: '^(runtime|cli|examples|benchmarks|test|scripts)/|^[^/]+\\.ts$' },
    },
    {
      name: 'common-imports-layers',
      comment: 'common/ (errors, codecs) is imported by everyone and imports no other layer.',
      severity: 'error',
      from: { path: '^common/', pathNot: TEST },
      to: { path: '^(actors|state|runtime|cli|examples|benchmarks|test|scripts)/|^[^/]+\\.ts$' },
    },
    {
      name: 'library-imports-its-users',
      comment: 'runtime/ and the public entries never import the CLI, examples, benchmarks or tests.',
      severity: 'error',
      from: { path: `^runtime/|${PUBLIC_ENTRIES}`, pathNot: TEST },
      to: { path: '^(cli|examples|benchmarks|test|scripts)/' },
    },
    {
      name: 'apps-use-public-api',
      comment:
        'cli/, examples/ and benchmarks/ use Weir through its public entries only: index.ts ' +
        '(`weir`) and tools.ts (`weir/tools`, what operator tooling such as the CLI needs). ' +
        'Export what is missing there (documented), or list a benchmark of internals in ' +
        'BENCHMARKS_ON_INTERNALS with its reason.',
      severity: 'error',
      from: { path: '^(cli|examples|benchmarks)/', pathNot: [TEST, ...BENCHMARKS_ON_INTERNALS] },
      to: { path: '^(common|actors|state|runtime)/|^[^/]+\\.ts$', pathNot: PUBLIC_ENTRIES },
    },
    {
      name: 'no-value-cycles',
      comment:
        'No cycle of value imports between modules (type-only imports do not count: they are ' +
        'erased and load nothing).',
      severity: 'error',
      from: { pathNot: TEST },
      to: {
        circular: true,
        dependencyTypesNot: ['type-only'],
        viaOnly: { dependencyTypesNot: ['type-only'] },
      },
    },
    ...runtimeFolderRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test/fixtures/package-app)/|^\\.dist-' },
    includeOnly: '^(common|actors|state|runtime|cli|examples|benchmarks|test|scripts)/|^[^/]+\\.(ts|mjs)$',
    // Record `import type` (and `export type`) as dependencies of type `type-only`, so the layer
    // rules see them and the cycle rules can leave them out.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
