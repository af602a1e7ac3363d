import { describe, expect, it } from '@jest/globals'
import { agentDenyRules } from '../../src/agent/deny-rules.js'

describe('agentDenyRules', () => {
  const always = ['Read(//proc/**)', 'Edit(//proc/**)', 'Read(//sys/**)', 'Edit(//sys/**)']

  it('keeps every session out of /proc and /sys, whatever the runner', () => {
    expect(agentDenyRules({}, '/usr/bin/node')).toEqual(always)
  })

  it("adds a hosted runner's temp folder, tool cache and its own folder", () => {
    const rules = agentDenyRules(
      { RUNNER_TEMP: '/home/runner/work/_temp/', RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' },
      '/home/runner/actions-runner/cached/externals/node24/bin/node'
    )
    expect(rules).toEqual([
      ...always,
      'Read(//home/runner/work/_temp/**)',
      'Edit(//home/runner/work/_temp/**)',
      'Read(//opt/hostedtoolcache/**)',
      'Edit(//opt/hostedtoolcache/**)',
      'Read(//home/runner/actions-runner/cached/**)',
      'Edit(//home/runner/actions-runner/cached/**)'
    ])
  })

  it('ignores relative and root folders rather than deny everything or nothing', () => {
    expect(agentDenyRules({ RUNNER_TEMP: 'tmp', RUNNER_TOOL_CACHE: '/' }, '/x/node')).toEqual(
      always
    )
  })
})
