import { describe, expect, it } from '@jest/globals'
import { remoteIsRepository, whyCannotPush, type PushContext } from '../../src/address/push.js'

const fork: PushContext = {
  isFork: true,
  headRepoFullName: 'mallory/widgets',
  maintainerCanModify: true,
  tokenCanPush: true,
  originUrl: 'https://github.com/mallory/widgets'
}

describe('whyCannotPush', () => {
  it('pushes a same-repository branch with the checkout credentials', () => {
    expect(whyCannotPush({ ...fork, isFork: false, originUrl: '/tmp/remote.git' })).toBeUndefined()
  })

  it('pushes to a fork only with maintainer edits, a token that can, and origin on the fork', () => {
    expect(whyCannotPush(fork)).toBeUndefined()
    expect(whyCannotPush({ ...fork, maintainerCanModify: false })).toContain(
      'does not allow edits by maintainers'
    )
    expect(whyCannotPush({ ...fork, tokenCanPush: false })).toContain('GITHUB_TOKEN never can')
    expect(whyCannotPush({ ...fork, originUrl: 'https://github.com/acme/widgets' })).toContain(
      "the checkout's origin (https://github.com/acme/widgets) is not the fork mallory/widgets"
    )
    expect(whyCannotPush({ ...fork, headRepoFullName: undefined })).toContain('was deleted')
  })
})

describe('remoteIsRepository', () => {
  it.each([
    ['https://github.com/mallory/widgets', true],
    ['https://github.com/Mallory/Widgets.git', true],
    ['https://x-access-token@github.com/mallory/widgets.git/', true],
    ['git@github.com:mallory/widgets.git', true],
    ['ssh://git@github.com/mallory/widgets.git', true],
    ['https://github.com/acme/widgets', false],
    ['https://github.com/mallory/widgets-fork', false],
    ['/tmp/remote.git', false]
  ])('%s → %s', (url, expected) => {
    expect(remoteIsRepository(url, 'mallory/widgets')).toBe(expected)
  })
})
