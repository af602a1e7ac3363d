// Shared by the src/github tests: a fake GitHub, a client pointed at it, and diffs to seed.
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals'
import { createGitHub, type GitHub, type Repo } from '../../src/github/client.js'
import { startFakeGitHub, type FakeGitHub } from '../harness/github/server.js'

export const OWNER = 'octo'
export const REPO = 'app'
export const repo: Repo = { owner: OWNER, repo: REPO }

/** The client the action uses: its waits are as short as what the fake sends. */
export function client(fake: FakeGitHub, token = 'test-token'): GitHub {
  return createGitHub(token, { baseUrl: fake.url })
}

/** Every request and answer matched GitHub's OpenAPI description (and GraphQL schema). */
export function expectClean(fake: FakeGitHub): void {
  expect(fake.violations.map(v => v.message)).toEqual([])
  expect(fake.responseViolations.map(v => v.message)).toEqual([])
  expect(fake.unimplemented.map(r => `${r.method} ${r.path}`)).toEqual([])
}

export function calls(fake: FakeGitHub, operationId: string): number {
  return fake.requests.filter(r => r.operationId === operationId).length
}

/** One added file of `lines` lines: RIGHT 1..lines are all commentable, in one hunk. */
export function addedFile(path: string, lines: number): string {
  const body = Array.from({ length: lines }, (_, i) => `+line ${i + 1}`).join('\n')
  return [
    `diff --git a/${path} b/${path}`,
    'new file mode 100644',
    'index 0000000..1111111',
    '--- /dev/null',
    `+++ b/${path}`,
    `@@ -0,0 +1,${lines} @@`,
    body,
    ''
  ].join('\n')
}

// Commentable: src/app.ts RIGHT 1-6 (hunk 1) and 21-24 (hunk 2); LEFT 1-5 and 20-22.
export const MIXED_DIFF = `diff --git a/src/app.ts b/src/app.ts
index 1111111..2222222 100644
--- a/src/app.ts
+++ b/src/app.ts
@@ -1,5 +1,6 @@
 line1
-line2
+line2 changed
+line2b
 line3
 line4
 line5
@@ -20,3 +21,4 @@ function x() {
 a
 b
+c
 d
diff --git a/README.md b/README.md
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/README.md
@@ -0,0 +1,2 @@
+# Title
+text
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 4444444..0000000
--- a/old.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-gone
-too
diff --git a/lib/a.ts b/lib/b.ts
similarity index 90%
rename from lib/a.ts
rename to lib/b.ts
index 5555555..6666666 100644
--- a/lib/a.ts
+++ b/lib/b.ts
@@ -1,3 +1,3 @@
 keep
-old name
+new name
 keep
diff --git a/docs/my notes.md b/docs/my notes.md
index 7777777..8888888 100644
--- a/docs/my notes.md
+++ b/docs/my notes.md
@@ -1 +1 @@
-before
+after
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..9999999
Binary files /dev/null and b/logo.png differ
`

/**
 * A fake GitHub for one test file: started before its tests, its log cleared before each and checked
 * clean after each, closed at the end. `fake` and `gh` are readable once the file's tests run.
 */
export function useFakeGitHub(): {
  readonly fake: FakeGitHub
  readonly gh: GitHub
  seedPull(options?: { diff?: string; [key: string]: unknown }): number
} {
  let fake: FakeGitHub | undefined
  let gh: GitHub | undefined
  const started = (): FakeGitHub => {
    if (!fake) throw new Error('the fake GitHub starts in beforeAll')
    return fake
  }
  beforeAll(async () => {
    fake = await startFakeGitHub({
      token: 'bot-token',
      tokens: { 'alice-token': 'alice', 'evil-token': 'evil-app[bot]' }
    })
    fake.seedRepo({ owner: OWNER, repo: REPO })
    gh = client(fake, 'bot-token')
  })
  afterAll(() => fake?.close())
  beforeEach(() => started().clearLog())
  afterEach(() => expectClean(started()))
  return {
    get fake() {
      return started()
    },
    get gh() {
      if (!gh) throw new Error('the client is made in beforeAll')
      return gh
    },
    seedPull: (options = {}) =>
      started().seedPullRequest({ owner: OWNER, repo: REPO, diff: MIXED_DIFF, ...options }).number
  }
}
