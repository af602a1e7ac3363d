import type { GitHub } from './client.js'
import { messageOf } from '../outcome.js'

/**
 * Who Tandem is on GitHub: the login of its token. Everything Tandem reads back from a pull
 * request (the sticky summary, the reviewed SHA, fingerprints, answers, its own reviews) counts
 * only when this login wrote it: any other bot, and any person, can paste the same markers.
 */

const identities = new WeakMap<GitHub, Promise<string>>()

const VIEWER_QUERY = 'query TandemViewer { viewer { login } }'

/**
 * The token's login, asked once per client. GraphQL's `viewer` answers for installation tokens
 * (GITHUB_TOKEN, a GitHub App's token: `github-actions[bot]`, `my-app[bot]`) as well as for
 * personal tokens; REST `GET /user` refuses installation tokens and is only the fallback. When
 * neither answers, this throws: guessing who we are would trust the wrong comments.
 */
export function tandemLogin(gh: GitHub): Promise<string> {
  const known = identities.get(gh)
  if (known) return known
  const asked = askLogin(gh)
  identities.set(gh, asked)
  // A failure is not remembered: a later call (after a transient error) asks again.
  asked.catch(() => {
    if (identities.get(gh) === asked) identities.delete(gh)
  })
  return asked
}

async function askLogin(gh: GitHub): Promise<string> {
  let graphqlError: unknown
  try {
    const answer = await gh.graphql<{ viewer?: { login?: unknown } | null }>(VIEWER_QUERY)
    const login = answer.viewer?.login
    if (typeof login === 'string' && login.trim() !== '') return login.trim()
    graphqlError = new Error('the answer carried no viewer login')
  } catch (error) {
    graphqlError = error
  }
  try {
    const { data } = await gh.rest.users.getAuthenticated()
    if (typeof data.login === 'string' && data.login.trim() !== '') return data.login.trim()
    throw new Error('the answer carried no login')
  } catch (restError) {
    throw new Error(
      "Cannot tell which account 'github-token' belongs to: GraphQL `viewer` failed " +
        `(${messageOf(graphqlError)}) and GET /user failed (${messageOf(restError)}). Tandem ` +
        'trusts its own comments and reviews by that login, so it stops here'
    )
  }
}

const BOT_SUFFIX = /\[bot\]$/i

/** A login without the `[bot]` suffix, in lower case: GitHub logins ignore case. */
export function bareLogin(login: string): string {
  return login.trim().replace(BOT_SUFFIX, '').toLowerCase()
}

/** Whether a login names a bot account (`name[bot]`). */
export function isBotLogin(login: string): boolean {
  return BOT_SUFFIX.test(login.trim())
}

/**
 * Whether an author is the account `identity` names. REST names a bot `name[bot]`, GraphQL
 * names it `name` (with `__typename` Bot), so the suffix is compared as a kind, not as text: a
 * bot identity matches only a bot author, and a person's identity (a PAT) only a person.
 */
export function isAuthoredBy(
  author: { login: string | undefined; isBot?: boolean },
  identity: string
): boolean {
  if (author.login === undefined || author.login.trim() === '' || identity.trim() === '') {
    return false
  }
  const authorIsBot = author.isBot === true || isBotLogin(author.login)
  return authorIsBot === isBotLogin(identity) && bareLogin(author.login) === bareLogin(identity)
}
