import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** git with user and system config shut out, so a developer's settings never change a test. */
export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Test Author',
      GIT_AUTHOR_EMAIL: 'author@example.com',
      GIT_COMMITTER_NAME: 'Test Author',
      GIT_COMMITTER_EMAIL: 'author@example.com'
    }
  }).trim()
}

export interface TestRepo {
  /** The working clone the action runs in (GITHUB_WORKSPACE). */
  workspace: string
  /** The bare repository that is the clone's `origin`. */
  remote: string
  /** Writes files (path → content; null deletes), commits, pushes the current branch; returns the SHA. */
  commit(files: Record<string, string | null>, message: string): string
  checkout(branch: string, create?: boolean): void
  diff(from: string, to: string): string
  head(): string
}

/** A bare remote and a clone of it with `main` holding `files`. */
export function createTestRepo(root: string, files: Record<string, string>): TestRepo {
  const remote = path.join(root, 'remote.git')
  const workspace = path.join(root, 'workspace')
  mkdirSync(remote, { recursive: true })
  git(remote, ['init', '--quiet', '--bare', '--initial-branch=main'])
  mkdirSync(workspace, { recursive: true })
  git(workspace, ['init', '--quiet', '--initial-branch=main'])
  git(workspace, ['remote', 'add', 'origin', remote])
  const repo: TestRepo = {
    workspace,
    remote,
    commit(changes, message) {
      for (const [file, content] of Object.entries(changes)) {
        const full = path.join(workspace, file)
        if (content === null) {
          git(workspace, ['rm', '--quiet', file])
        } else {
          mkdirSync(path.dirname(full), { recursive: true })
          writeFileSync(full, content)
          git(workspace, ['add', file])
        }
      }
      git(workspace, ['commit', '--quiet', '-m', message])
      const branch = git(workspace, ['rev-parse', '--abbrev-ref', 'HEAD'])
      git(workspace, ['push', '--quiet', '--force', 'origin', branch])
      return repo.head()
    },
    checkout(branch, create = false) {
      git(
        workspace,
        create ? ['checkout', '--quiet', '-b', branch] : ['checkout', '--quiet', branch]
      )
    },
    diff(from, to) {
      return execFileSync('git', ['diff', '--find-renames', from, to], {
        cwd: workspace,
        encoding: 'utf8'
      })
    },
    head() {
      return git(workspace, ['rev-parse', 'HEAD'])
    }
  }
  repo.commit(files, 'initial commit')
  return repo
}
