import { createGitHub, repoFromEnv } from '../github/client.js'
import { botSender, readEvent } from '../github/event.js'
import { type Inputs } from '../inputs.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'
import { writeChanges } from './steps/write-changes.js'

/** `write`: the writer session → commit → push a branch → ONE pull request, created or updated. */
export async function writeMode(inputs: Inputs): Promise<ModeOutcome> {
  // Tandem's own pushes and comments must never start another run.
  const bot = botSender(readEvent().payload)
  if (bot) return skipped(`the event was sent by a bot (${bot})`, { 'pr-operation': 'none' })
  const gh = createGitHub(requireToken(inputs, 'open the pull request'))
  return (await writeChanges(inputs, gh, repoFromEnv())).outcome
}
