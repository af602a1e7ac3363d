import { createGitHub, repoFromEnv } from '../github/client.js'
import { readEvent, reviewTrigger, whyNotTrusted } from '../github/event.js'
import type { Inputs } from '../inputs.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { reviewPullRequest } from './steps/review-pr.js'

/** `review`: one reviewer session on a PR diff → ONE review + a sticky summary. */
export async function reviewMode(inputs: Inputs): Promise<ModeOutcome> {
  const { eventName, payload } = readEvent()
  const trigger = reviewTrigger(eventName, payload, {
    prNumberInput: inputs.prNumber,
    allowedBots: inputs.allowedBots
  })
  if (!trigger.run) return skipped(trigger.reason)

  const gh = createGitHub(requireToken(inputs, 'read and comment on the pull request'))
  const repo = repoFromEnv()
  const refusal = await whyNotTrusted(gh, repo, trigger)
  if (refusal) return skipped(refusal)
  return (await reviewPullRequest(inputs, gh, repo, trigger.prNumber)).outcome
}
