import { describe, expect, it } from '@jest/globals'
import { parsePorcelainZ } from '../../src/git/branch.js'
import { isWorkflowPath, workflowChanges } from '../../src/git/workflow-paths.js'

describe('isWorkflowPath', () => {
  it('matches files under .github/workflows, at any depth and in any case', () => {
    expect(isWorkflowPath('.github/workflows/ci.yml')).toBe(true)
    expect(isWorkflowPath('.github/workflows/nested/x.yaml')).toBe(true)
    expect(isWorkflowPath('.GitHub/Workflows/ci.yml')).toBe(true)
    expect(isWorkflowPath('./.github/workflows/ci.yml')).toBe(true)
  })

  it('matches local actions, which workflows run with the same secrets', () => {
    expect(isWorkflowPath('.github/actions/setup/action.yml')).toBe(true)
    expect(isWorkflowPath('.github/actions')).toBe(true)
    expect(isWorkflowPath('.github/actions-old/x.yml')).toBe(false)
  })

  it('matches the directory itself and .github replaced by a file or symlink', () => {
    expect(isWorkflowPath('.github/workflows')).toBe(true)
    expect(isWorkflowPath('.github')).toBe(true)
  })

  it('leaves other paths alone, lookalikes included', () => {
    for (const path of [
      '.github/CODEOWNERS',
      '.github/dependabot.yml',
      '.github/workflows-old/ci.yml',
      'docs/.github/workflows/ci.yml',
      'github/workflows/ci.yml',
      '.githubx/workflows/ci.yml'
    ]) {
      expect([path, isWorkflowPath(path)]).toEqual([path, false])
    }
  })
})

describe('workflowChanges', () => {
  it('finds renames into and out of .github/workflows, by either side', () => {
    const entries = parsePorcelainZ(
      [
        'R  .github/workflows/deploy.yml',
        'scripts/deploy.yml',
        'R  old/ci.yml',
        '.github/workflows/ci.yml',
        ' M src/a.ts',
        '?? .github/workflows/new.yml',
        ' D .github/workflows/gone.yml',
        ''
      ].join('\0')
    )
    expect(workflowChanges(entries)).toEqual([
      '.github/workflows/ci.yml',
      '.github/workflows/deploy.yml',
      '.github/workflows/gone.yml',
      '.github/workflows/new.yml'
    ])
  })

  it('is empty when no workflow is touched', () => {
    expect(workflowChanges(parsePorcelainZ(' M src/a.ts\0?? .github/CODEOWNERS\0'))).toEqual([])
  })
})
