// The layering the code relies on, checked by `npm run check:deps` in scripts/test.sh (so in CI):
// a workflow runs in Temporal's deterministic sandbox, db/ must work under any caller, ml/ is pure
// and testable without a database, and api/ and cli/ reach the pipeline only through Temporal.
/** Modules a workflow may run: no I/O, no clock, no randomness of their own; checked below too. */
const SANDBOX_SAFE = '^(workflows/|contracts/|common/(dates|tags|zoned-time|retrain-gates|started-by)\\.ts$|ml/planning/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'workflow-sandbox',
      comment:
        'Workflows run in the deterministic sandbox: values only from @temporalio/workflow, @temporalio/common and sandbox-safe modules. ' +
        'Types from anywhere are fine (proxyActivities<typeof createXActivities> is how a workflow names its activities).',
      severity: 'error',
      from: { path: '^workflows/' },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: [SANDBOX_SAFE, '^node_modules/@temporalio/(workflow|common)/'],
      },
    },
    {
      name: 'sandbox-safe-stays-safe',
      comment: 'What a workflow may import must not itself reach I/O: no node: built-ins, no packages but the SDK common one and TypeBox (the contracts), nothing outside the safe set.',
      severity: 'error',
      from: { path: SANDBOX_SAFE, pathNot: '^workflows/' },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: [SANDBOX_SAFE, '^node_modules/@temporalio/common/', '^node_modules/typebox/'],
      },
    },
    {
      name: 'db-knows-no-temporal-or-http',
      comment: 'db/ is storage only: no Temporal, no HTTP, nothing of the layers that call it.',
      severity: 'error',
      from: { path: '^db/' },
      to: { path: ['^node_modules/(@temporalio|fastify|@fastify)/', '^(api|cli|client|workers|workflows|activities)/', '^node:http'] },
    },
    {
      name: 'ml-is-below-everything',
      comment: 'ml/ is pure model code: it imports nothing of the layers above it (types included), so it tests without a database or a server.',
      severity: 'error',
      from: { path: '^ml/' },
      to: { path: '^(api|cli|client|workers|workflows|activities|db|contracts)/' },
    },
    {
      name: 'api-and-cli-go-through-temporal',
      comment: 'The API and the CLI start workflows and read the database; they never run activities or worker code themselves.',
      severity: 'error',
      from: { path: '^(api|cli)/', pathNot: '^cli/main\\.ts$' },
      to: { path: '^(activities|workers)/' },
    },
    {
      name: 'cli-starts-only-the-worker',
      comment: '`ecgflow worker` starts the worker process (workers/main.ts, by dynamic import): the one piece of worker code the CLI runs.',
      severity: 'error',
      from: { path: '^cli/main\\.ts$' },
      to: { path: '^(activities/|workers/(?!main\\.ts$))' },
    },
    {
      name: 'contracts-stand-alone',
      comment: 'The contracts are the schemas every side speaks (API, CLI, workflows, web): they import TypeBox and each other, never the code on either side.',
      severity: 'error',
      from: { path: '^contracts/' },
      to: { path: '^(api|cli|client|workers|workflows|activities|db|ingest|config|codec-server)/' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle makes every module in it depend on all the others.',
      severity: 'error',
      from: { pathNot: '^(tests|bench)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '^(node_modules|web/dist|\\.data)/' },
  },
};
