import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**', 'test/.generated/**', 'openapi/**']
  }),
  {
    rules: {
      // TypeBox: a schema and its static type share one name (`const X = Type.Object(…)`, `type X = Static<…>`).
      '@typescript-eslint/no-redeclare': 'off',
      // `void reply.send(…)`: Fastify's way of marking a promise that is deliberately not awaited.
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
