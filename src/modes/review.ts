import * as core from '@actions/core'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  prepareAgent,
  runAgent,
  sessionOutputs,
  type Agent,
  sessionFailure
} from '../agent/launch.js'
import { agentSettings } from './steps/agent-settings.js'
import { appendJobSummary } from '../github/emit.js'
import { renderSessionSummary } from '../agent/summary.js'
import { createGitHub, repoFromEnv, type GitHub, type Repo } from '../github/client.js'
import { readEvent, reviewTrigger, whyNotTrusted } from '../github/event.js'
import { isAuthoredBy, tandemLogin } from '../github/identity.js'
import {
  getPullRequest,
  getPullRequestDiff,
  findStickyComment,
  listIssueComments,
  listPullRequestFiles,
  filesToUnifiedDiff,
  stickyJob,
  upsertStickyComment,
  dismissReview,
  listReviewComments,
  listReviews,
  type IssueComment,
  type PullRequest
} from '../github/pulls.js'
import { redactorFor } from '../github/redact.js'
import { listReviewThreads, resolveReviewThread, type ReviewThread } from '../github/threads.js'
import { commitsBetween } from '../git/log.js'
import { checkoutAt, diffBetween, ensureCommits, isAncestor, mergeBase } from '../git/git.js'
import type { Inputs, Severity } from '../inputs.js'
import { planReview, whyNotAnchorable, type ReviewPlan } from '../review/anchor.js'
import { parseUnifiedDiff, type ParsedDiff } from '../review/diff.js'
import {
  REVIEW_MARKER,
  REVIEW_SCHEMA,
  SUMMARY_MARKER,
  atOrAbove,
  fingerprint,
  hasTrailerMarker,
  parseReviewOutput,
  readFingerprints,
  readReviewedSha,
  summaryMarker,
  type Finding,
  type ReviewOutput,
  type Verdict
} from '../review/findings.js'
import { buildReviewPrompt } from '../review/prompt.js'
import { isReadOnly, postReview } from '../review/publish.js'
import { threadsToResolve } from '../review/resolve.js'
import {
  parseFindingComment,
  renderFindingsTable,
  renderReviewBody,
  renderSummaryComment
} from '../review/render.js'
import { requireToken, skipped, type ModeOutcome } from './outcome.js'

/**
 * The reviewer is offered these and nothing else (`--tools`): no shell, since a deny rule is
 * matched on the command text and quoting gets past any of them, and no tool that writes. What
 * it would have run git for (the diff, the commits) is in its prompt.
 */
export const REVIEWER_TOOLS = ['Read', 'Grep', 'Glob']

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

/** What one review of a pull request produced; `pair` reads it to decide on another round. */
export interface ReviewRound {
  outcome: ModeOutcome
  /** Undefined when the reviewer failed (no structured output): a failed review, not an empty one. */
  review?: ReviewOutput
  verdict?: Verdict
  /** Findings at or above blocking-severity. */
  blocking: Finding[]
  /** The blocking findings that have no open review thread to be addressed through. */
  unthreaded: Finding[]
  costUsd: number
}

/** Reviews one pull request and publishes the result: the whole of review mode after the trigger. */
export async function reviewPullRequest(
  inputs: Inputs,
  gh: GitHub,
  repo: Repo,
  prNumber: number,
  /** The run's agent, when the caller has one already (write, pair). */
  agent?: Agent
): Promise<ReviewRound> {
  const pr = await getPullRequest(gh, repo, prNumber)
  const context = await core.group('Reading the pull request', () =>
    readReviewContext(gh, repo, pr, inputs)
  )
  const output = await runReviewer(
    inputs,
    pr,
    context,
    agent ?? (await prepareAgent(agentSettings(inputs)))
  )
  if ('failure' in output) {
    return { outcome: output.failure, blocking: [], unthreaded: [], costUsd: output.costUsd }
  }

  const { review, report } = output
  const plan = planReview(review.findings, context.fullDiff, {
    existingFingerprints: context.postedFingerprints,
    maxInlineComments: inputs.maxInlineComments,
    allowLeftSide: context.sinceSha === undefined
  })
  // The verdict covers what still stands on the PR, not only what this run saw: an incremental
  // review of a small push must not turn an open critical finding into "looks good".
  const reported = new Set(review.findings.map(finding => fingerprint(finding)))
  const toResolve = threadsToResolve(context.threads, reported, {
    sinceSha: context.sinceSha,
    diff: context.reviewDiff
  })
  const standing = [...review.findings, ...openThreadFindings(context.threads, reported, toResolve)]
  const verdict = verdictFor(standing, inputs.blockingSeverity)
  const redact = redactorFor(inputs)

  let published: Published
  let readOnly = false
  let publishFailure: string | undefined
  try {
    published = await core.group('Publishing the review', () =>
      publish(gh, repo, pr, {
        plan,
        review,
        verdict,
        standing,
        inputs,
        context,
        redact,
        costUsd: report.costUsd,
        numTurns: report.numTurns
      })
    )
  } catch (error) {
    // A PR from a fork gets a read-only GITHUB_TOKEN: the review goes to this run instead. Any
    // other failure to publish fails the step — after the review is kept here all the same.
    readOnly = true
    if (isReadOnly(error)) {
      core.warning(
        `The token cannot write to pull request #${pr.number} (${(error as Error).message}); this ` +
          'is what a pull request from a fork gets. The review is in the job summary and annotations.'
      )
    } else {
      publishFailure = `Publishing the review failed: ${(error as Error).message}. Every finding is in the job summary and annotations.`
      core.error(publishFailure)
    }
    annotateFindings(review.findings, redact)
    published = {
      reviewId: undefined,
      inlineCount: 0,
      summaryCommentId: undefined,
      placement: new Map(review.findings.map(f => [f, 'job summary only']))
    }
  }
  if (!readOnly && toResolve.length > 0) {
    await core.group('Resolving threads the review no longer reports', async () => {
      for (const thread of toResolve) {
        try {
          await resolveReviewThread(gh, thread.id)
        } catch (error) {
          // The review is posted; a thread left open is not worth failing the step for.
          core.warning(`Could not resolve thread ${thread.id}: ${(error as Error).message}`)
        }
      }
      core.info(`Resolved ${toResolve.length} thread(s)`)
    })
  }

  const everything = readOnly
    ? `\n${redact(
        renderReviewBody({
          summary: review.summary,
          unanchored: review.findings.map(finding => ({
            finding,
            fingerprint: fingerprint(finding),
            reason: 'not posted to the pull request'
          }))
        })
      )}\n`
    : ''
  await appendJobSummary(
    renderSessionSummary(report, 'Tandem · reviewer session') +
      '\n' +
      redact(
        renderFindingsTable({ verdict, findings: review.findings, placement: published.placement })
      ) +
      everything
  )
  const failing = inputs.failOn
    ? standing.filter(finding => atOrAbove(finding.severity, inputs.failOn!))
    : []
  const outcome: ModeOutcome = {
    outputs: {
      ...sessionOutputs(report),
      'review-id': published.reviewId ? String(published.reviewId) : '',
      verdict,
      findings: JSON.stringify(review.findings),
      'findings-count': String(review.findings.length),
      'inline-comments': String(published.inlineCount),
      'summary-comment-id': published.summaryCommentId ? String(published.summaryCommentId) : ''
    },
    failure:
      publishFailure ??
      (failing.length > 0
        ? `${failing.length} finding(s) at or above '${inputs.failOn}' (fail-on)`
        : undefined)
  }
  // Blocking findings with no open thread (listed off the diff, or on a thread resolved
  // earlier) are invisible to `address`: pair hands them to the writer directly.
  const openFingerprints = new Set([
    ...context.threads
      .filter(thread => !thread.isResolved && !toResolve.includes(thread))
      .flatMap(thread => readFingerprints(thread.comments[0]?.body ?? '')),
    ...review.findings
      .filter(finding => published.placement.get(finding) === 'inline')
      .map(finding => fingerprint(finding))
  ])
  const blocking = standing.filter(f => atOrAbove(f.severity, inputs.blockingSeverity))
  return {
    outcome,
    review,
    verdict,
    blocking,
    unthreaded: blocking.filter(f => !openFingerprints.has(fingerprint(f))),
    costUsd: report.costUsd
  }
}

interface ReviewContext {
  fullDiff: ParsedDiff
  reviewDiff: ParsedDiff
  sinceSha: string | undefined
  threads: ReviewThread[]
  postedFingerprints: Set<string>
  /** Tandem's sticky summary comment, if there is one yet. */
  summary: IssueComment | undefined
}

async function readReviewContext(
  gh: GitHub,
  repo: Repo,
  pr: PullRequest,
  inputs: Inputs
): Promise<ReviewContext> {
  const cwd = inputs.workingDirectory
  const fullDiff = parseUnifiedDiff(await pullRequestDiff(gh, repo, pr, cwd))
  // Markers are trusted only in comments written by Tandem's own login, and only in their
  // trailer: anyone who can comment (and the model) could otherwise plant a reviewed SHA or
  // fingerprints to hide findings.
  const me = await tandemLogin(gh)
  // This job's summary; a summary from before markers named their job becomes this job's.
  const summary = findStickyComment(
    await listIssueComments(gh, repo, pr.number),
    summaryMarker(stickyJob()),
    me,
    [SUMMARY_MARKER]
  )
  let threads: ReviewThread[] = []
  let threadFingerprints: string[]
  try {
    threads = (await listReviewThreads(gh, repo, pr.number)).filter(thread =>
      isAuthoredBy(
        { login: thread.comments[0]?.author, isBot: thread.comments[0]?.authorIsBot },
        me
      )
    )
    threadFingerprints = threads.flatMap(t => readFingerprints(t.comments[0]?.body ?? ''))
  } catch (error) {
    // Without GraphQL (a GitHub Enterprise proxy, a token without it) nothing is resolved, but
    // the REST comments still say what was posted, so nothing is posted twice.
    core.warning(
      `Could not read review threads (${(error as Error).message}); using review comments`
    )
    threadFingerprints = (await listReviewComments(gh, repo, pr.number))
      .filter(comment => isAuthoredBy({ login: comment.author, isBot: comment.authorIsBot }, me))
      .flatMap(comment => readFingerprints(comment.body))
  }
  const postedFingerprints = new Set<string>([
    ...readFingerprints(summary?.body ?? ''),
    ...threadFingerprints
  ])

  let reviewDiff = fullDiff
  let sinceSha: string | undefined
  const lastSha = summary?.body ? readReviewedSha(summary.body) : undefined
  if (inputs.incremental && lastSha && lastSha !== pr.headSha) {
    if (
      (await ensureCommits(cwd, [lastSha, pr.headSha])) &&
      (await isAncestor(cwd, lastSha, pr.headSha))
    ) {
      reviewDiff = parseUnifiedDiff(await diffBetween(cwd, lastSha, pr.headSha))
      sinceSha = lastSha
      core.info(`Incremental review: ${reviewDiff.files.length} file(s) changed since ${lastSha}`)
    } else {
      core.info(
        `${lastSha} is not an ancestor of ${pr.headSha} (force-push?): reviewing everything`
      )
    }
  }
  core.info(
    `${fullDiff.files.length} file(s) in the pull request; ${threads.length} review thread(s)`
  )
  return {
    fullDiff,
    reviewDiff,
    sinceSha,
    threads,
    postedFingerprints,
    summary
  }
}

/** The PR diff from the checkout; then the API's diff; then the paginated files API. */
async function pullRequestDiff(
  gh: GitHub,
  repo: Repo,
  pr: PullRequest,
  cwd: string
): Promise<string> {
  try {
    if (await ensureCommits(cwd, [pr.baseSha, pr.headSha])) {
      const base = await mergeBase(cwd, pr.baseSha, pr.headSha)
      if (base) return await diffBetween(cwd, base, pr.headSha)
    }
    core.info('The checkout lacks the PR commits; asking the API for the diff')
  } catch (error) {
    core.info(`git diff failed (${(error as Error).message}); asking the API for the diff`)
  }
  const apiDiff = await getPullRequestDiff(gh, repo, pr.number)
  if (apiDiff !== undefined) return apiDiff
  core.info('The diff is too large for the API; reading the files API instead')
  return filesToUnifiedDiff(await listPullRequestFiles(gh, repo, pr.number))
}

async function runReviewer(
  inputs: Inputs,
  pr: PullRequest,
  context: ReviewContext,
  agent: Agent
): Promise<
  | { review: ReviewOutput; report: Awaited<ReturnType<typeof runAgent>> }
  | { failure: ModeOutcome; costUsd: number }
> {
  const openFindings = context.threads
    .filter(
      thread => !thread.isResolved && readFingerprints(thread.comments[0]?.body ?? '').length > 0
    )
    .flatMap(thread => {
      const parsed = parseFindingComment(thread.comments[0]!.body)
      if (!parsed) return []
      return [{ path: thread.path, line: thread.line ?? thread.originalLine ?? 0, ...parsed }]
    })
  const prompt = buildReviewPrompt({
    repository: `${pr.baseRepoFullName}`,
    pr: {
      number: pr.number,
      title: pr.title,
      body: pr.body,
      baseRef: pr.baseRef,
      headRef: pr.headRef
    },
    diff: context.reviewDiff,
    sinceSha: context.sinceSha,
    headSha: pr.headSha,
    openFindings,
    commits: await commitsBetween(agent.cwd, context.sinceSha ?? pr.baseSha, pr.headSha),
    instructions: inputs.prompt,
    blockingSeverity: inputs.blockingSeverity
  })
  if (inputs.allowedTools) {
    core.warning("'allowed-tools' is not used for the reviewer: it always gets read-only tools")
  }
  // Not under RUNNER_TEMP, which agents may not read; a folder of this run's own, since a fixed
  // name in the shared temp dir could be a symlink an earlier agent left there.
  await mkdir(tmpdir(), { recursive: true })
  const parent = await mkdtemp(path.join(tmpdir(), 'tandem-review-'))
  const checkout = await checkoutAt(agent.cwd, pr.headSha, parent)
  let report: Awaited<ReturnType<typeof runAgent>>
  try {
    report = await runAgent(agent, {
      label: 'reviewer',
      prompt,
      tools: REVIEWER_TOOLS,
      allowedTools: REVIEWER_TOOLS,
      strictMcpConfig: true,
      jsonSchema: REVIEW_SCHEMA,
      // The checkout is the PR's code: its .claude/settings.json (hooks, permissions) and
      // .mcp.json servers must not widen a read-only reviewer, fork or not.
      settingSources: 'user',
      cwd: checkout.dir,
      // Its own sandbox user, which may read the checkout and write nothing in it.
      access: 'read'
    })
  } finally {
    await checkout.release()
    await rm(parent, { recursive: true, force: true })
  }
  if (report.conclusion !== 'success') {
    await appendJobSummary(renderSessionSummary(report, 'Tandem · reviewer session'))
    return {
      costUsd: report.costUsd,
      failure: {
        outputs: sessionOutputs(report),
        failure: sessionFailure('reviewer', report)
      }
    }
  }
  try {
    return { review: parseReviewOutput(report.structuredOutput), report }
  } catch (error) {
    return {
      costUsd: report.costUsd,
      failure: { outputs: sessionOutputs(report), failure: (error as Error).message }
    }
  }
}

/**
 * The verdict follows the findings and `blocking-severity` alone: the model's own verdict may
 * be stricter or milder than the workflow asked for.
 */
function verdictFor(findings: Finding[], blockingSeverity: Severity): Verdict {
  if (findings.some(f => atOrAbove(f.severity, blockingSeverity))) return 'request_changes'
  return findings.length > 0 ? 'comment' : 'approve'
}

/** Tandem's open threads that stay open after this run and that this run did not report again. */
function openThreadFindings(
  threads: ReviewThread[],
  reported: ReadonlySet<string>,
  resolving: ReviewThread[]
): Finding[] {
  const findings: Finding[] = []
  for (const thread of threads) {
    if (thread.isResolved || resolving.includes(thread)) continue
    const first = thread.comments[0]
    const fp = readFingerprints(first?.body ?? '')[0]
    const parsed = first ? parseFindingComment(first.body) : undefined
    if (!fp || !parsed || reported.has(fp)) continue
    findings.push({
      path: thread.path,
      line: thread.line ?? thread.originalLine ?? 1,
      side: thread.diffSide,
      severity: parsed.severity,
      title: parsed.title,
      body: ''
    })
  }
  return findings
}

interface Published {
  reviewId: number | undefined
  inlineCount: number
  summaryCommentId: number | undefined
  placement: Map<Finding, string>
}

async function publish(
  gh: GitHub,
  repo: Repo,
  pr: PullRequest,
  args: {
    plan: ReviewPlan
    review: ReviewOutput
    verdict: Verdict
    /** This run's findings plus Tandem's findings still open on the PR. */
    standing: Finding[]
    inputs: Inputs
    context: ReviewContext
    redact: (text: string) => string
    costUsd: number
    numTurns: number
  }
): Promise<Published> {
  const { plan, review, inputs, redact } = args
  const placement = new Map<Finding, string>()
  for (const item of plan.alreadyPosted) placement.set(item.finding, 'already on the PR')
  let reviewId: number | undefined
  let reviewUrl: string | undefined
  let inline = plan.inline
  let unanchored = plan.unanchored
  if (inline.length > 0 || unanchored.length > 0) {
    const event =
      inputs.reviewEvent === 'auto' && args.verdict === 'request_changes'
        ? 'REQUEST_CHANGES'
        : 'COMMENT'
    const posted = await postReview(gh, repo, pr.number, {
      commitId: pr.headSha,
      event,
      inline: inline.map(item => ({
        ...item,
        comment: { ...item.comment, body: redact(item.comment.body) }
      })),
      unanchored,
      renderBody: off => redact(renderReviewBody({ summary: review.summary, unanchored: off }))
    })
    reviewId = posted.id
    reviewUrl = posted.url
    inline = posted.inline
    unanchored = posted.unanchored
    core.info(
      `Posted review ${posted.id}: ${inline.length} inline comment(s), ${unanchored.length} in the body`
    )
  } else {
    core.info('Nothing new to post: every finding is already on the pull request')
  }
  for (const item of inline) placement.set(item.finding, 'inline')
  for (const item of unanchored) placement.set(item.finding, `summary (${item.reason})`)

  // A finding listed off the diff by an earlier run and reported again stays listed: the
  // summary is replaced on every run, and nothing may drop out of it while still reported.
  const threadFingerprints = new Set(
    args.context.threads.flatMap(thread => readFingerprints(thread.comments[0]?.body ?? ''))
  )
  const stillListed = plan.alreadyPosted
    .filter(item => !threadFingerprints.has(item.fingerprint))
    .map(item => ({
      ...item,
      reason: whyNotAnchorable(item.finding, args.context.fullDiff) ?? 'listed by an earlier review'
    }))
  // Fingerprints listed by earlier runs and not reported now are kept (hidden), so a finding
  // that comes back later is recognised and not posted a second time.
  const carried = readFingerprints(args.context.summary?.body ?? '')
  const listed = [...unanchored, ...stillListed]
  const body = redact(
    renderSummaryComment({
      verdict: args.verdict,
      summary: review.summary,
      findings: args.standing,
      unanchored: listed,
      inlineCount: inline.length,
      alreadyPostedCount: plan.alreadyPosted.length,
      headSha: pr.headSha,
      sinceSha: args.context.sinceSha,
      reviewUrl,
      costUsd: args.costUsd,
      numTurns: args.numTurns,
      carriedFingerprints: carried,
      marker: summaryMarker(stickyJob())
    })
  )
  const summary = await upsertStickyComment(gh, repo, pr.number, summaryMarker(stickyJob()), body, {
    author: await tandemLogin(gh),
    existing: args.context.summary ?? null,
    legacy: [SUMMARY_MARKER]
  })
  if (args.verdict !== 'request_changes') await dismissStaleChangeRequests(gh, repo, pr)
  core.info(`Summary comment ${summary.id}: ${summary.operation}`)
  return { reviewId, inlineCount: inline.length, summaryCommentId: summary.id, placement }
}

/**
 * Tandem's earlier CHANGES_REQUESTED would keep blocking the merge after the findings behind it
 * are gone: it is dismissed once a review no longer requests changes.
 */
async function dismissStaleChangeRequests(gh: GitHub, repo: Repo, pr: PullRequest): Promise<void> {
  let earlierReviews: Awaited<ReturnType<typeof listReviews>>
  try {
    earlierReviews = await listReviews(gh, repo, pr.number)
  } catch (error) {
    core.warning(`Could not list earlier reviews: ${(error as Error).message}`)
    return
  }
  for (const earlier of earlierReviews) {
    if (earlier.state !== 'CHANGES_REQUESTED' || !hasTrailerMarker(earlier.body, REVIEW_MARKER))
      continue
    if (!isAuthoredBy({ login: earlier.author }, await tandemLogin(gh))) continue
    try {
      await dismissReview(
        gh,
        repo,
        pr.number,
        earlier.id,
        `Tandem's review of ${pr.headSha.slice(0, 7)} no longer requests changes.`
      )
      core.info(`Dismissed the earlier change request ${earlier.id}`)
    } catch (error) {
      core.warning(`Could not dismiss review ${earlier.id}: ${(error as Error).message}`)
    }
  }
}

/** Each finding as an annotation on its file and line, for runs that cannot comment. */
function annotateFindings(findings: Finding[], redact: (text: string) => string): void {
  for (const finding of findings) {
    const properties = {
      title: redact(`[${finding.severity}] ${finding.title}`),
      file: finding.path,
      startLine: finding.start_line ?? finding.line,
      endLine: finding.line
    }
    if (atOrAbove(finding.severity, 'major')) core.warning(redact(finding.body), properties)
    else core.notice(redact(finding.body), properties)
  }
}
