import { createGitHub, repoFromEnv } from '../github/client.js'
import { addressTrigger, readEvent, whyNotTrusted } from '../github/event.js'
import { type Inputs } from '../inputs.js'
import { ADDRESS_SKIPPED_OUTPUTS } from '../address/round.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { addressPullRequest } from './steps/address-pr.js'

/** `address`: unresolved review threads → writer → one commit on the PR branch → replies. */
export async function addressMode(inputs: Inputs): Promise<ModeOutcome> {
  const { eventName, payload } = readEvent()
  const trigger = addressTrigger(eventName, payload, {
    prNumberInput: inputs.prNumber,
    allowedBots: inputs.allowedBots
  })
  if (!trigger.run) return skipped(trigger.reason, ADDRESS_SKIPPED_OUTPUTS)

  const gh = createGitHub(requireToken(inputs, 'read and answer the review threads'))
  const repo = repoFromEnv()
  const refusal = await whyNotTrusted(gh, repo, trigger)
  if (refusal) return skipped(refusal)
  const round = await addressPullRequest(inputs, gh, repo, trigger.prNumber, {
    // Only a chain of Tandem's own reviews needs a bound; a person asking again is fine.
    maxRounds: trigger.source === 'reviewer' ? inputs.maxRounds : undefined
  })
  return round.outcome
}
