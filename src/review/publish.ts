/**
 * What a review publishes, decided without GitHub: the review to post, where each finding went,
 * the sticky summary's text, and which inline comments GitHub refused. github/publish.ts does
 * the posting.
 */

import type { ReviewEventChoice } from './events.js'
import {
  whyNotAnchorable,
  type InlineFinding,
  type ReviewPlan,
  type UnanchoredFinding
} from './anchor.js'
import type { ParsedDiff } from './diff.js'
import {
  fingerprint,
  readFingerprints,
  type Finding,
  type ReviewOutput,
  type Verdict
} from './findings.js'
import { renderFindingsTable, renderReviewBody, renderSummaryComment } from './render.js'
import type { PostedThread } from './resolve.js'

export type ReviewEvent = 'COMMENT' | 'REQUEST_CHANGES'

export interface ReviewToPost {
  commitId: string
  event: ReviewEvent
  inline: InlineFinding[]
  /** Renders the review body from the findings that end up off the diff. */
  renderBody: (unanchored: UnanchoredFinding[]) => string
  unanchored: UnanchoredFinding[]
}

export interface PostedReview {
  id: number
  url: string
  event: ReviewEvent
  inline: InlineFinding[]
  /** Everything listed in the body: unanchored, plus any GitHub refused as inline comments. */
  unanchored: UnanchoredFinding[]
}

/** What one run left on the pull request. */
export interface Published {
  reviewId: number | undefined
  inlineCount: number
  summaryCommentId: number | undefined
  /** Where each of this run's findings went, in words for the job summary. */
  placement: Map<Finding, string>
}

type Redact = (text: string) => string

/** The review to post, or undefined when every finding is already on the pull request. */
export function reviewToPost(
  plan: ReviewPlan,
  args: {
    summary: string
    verdict: Verdict
    reviewEvent: ReviewEventChoice
    headSha: string
    redact: Redact
  }
): ReviewToPost | undefined {
  if (plan.inline.length === 0 && plan.unanchored.length === 0) return undefined
  const { redact } = args
  return {
    commitId: args.headSha,
    event:
      args.reviewEvent === 'auto' && args.verdict === 'request_changes'
        ? 'REQUEST_CHANGES'
        : 'COMMENT',
    inline: plan.inline.map(item => ({
      ...item,
      comment: { ...item.comment, body: redact(item.comment.body) }
    })),
    unanchored: plan.unanchored,
    renderBody: off => redact(renderReviewBody({ summary: args.summary, unanchored: off }))
  }
}

/** Where each finding went: already on the PR, inline, or listed in the body and summary. */
export function placementOf(
  plan: ReviewPlan,
  posted: { inline: InlineFinding[]; unanchored: UnanchoredFinding[] }
): Map<Finding, string> {
  const placement = new Map<Finding, string>()
  for (const item of plan.alreadyPosted) placement.set(item.finding, 'already on the PR')
  for (const item of posted.inline) placement.set(item.finding, 'inline')
  for (const item of posted.unanchored) placement.set(item.finding, `summary (${item.reason})`)
  return placement
}

/** The sticky summary comment's text, redacted. */
export function summaryCommentBody(args: {
  plan: ReviewPlan
  review: ReviewOutput
  verdict: Verdict
  /** This run's findings plus Tandem's findings still open on the PR. */
  standing: Finding[]
  /** What the posted review carries: inline, and listed in its body. */
  posted: { inline: InlineFinding[]; unanchored: UnanchoredFinding[]; url: string | undefined }
  threads: PostedThread[]
  fullDiff: ParsedDiff
  headSha: string
  sinceSha: string | undefined
  /** The summary an earlier run left, if any. */
  previous: { body: string } | undefined
  costUsd: number
  numTurns: number
  marker: string
  redact: Redact
}): string {
  const { plan } = args
  // A finding listed off the diff by an earlier run and reported again stays listed: the
  // summary is replaced on every run, and nothing may drop out of it while still reported.
  const threadFingerprints = new Set(
    args.threads.flatMap(thread => readFingerprints(thread.comments[0]?.body ?? ''))
  )
  const stillListed = plan.alreadyPosted
    .filter(item => !threadFingerprints.has(item.fingerprint))
    .map(item => ({
      ...item,
      reason: whyNotAnchorable(item.finding, args.fullDiff) ?? 'listed by an earlier review'
    }))
  // Fingerprints listed by earlier runs and not reported now are kept (hidden), so a finding
  // that comes back later is recognised and not posted a second time.
  const carried = readFingerprints(args.previous?.body ?? '')
  return args.redact(
    renderSummaryComment({
      verdict: args.verdict,
      summary: args.review.summary,
      findings: args.standing,
      unanchored: [...args.posted.unanchored, ...stillListed],
      inlineCount: args.posted.inline.length,
      alreadyPostedCount: plan.alreadyPosted.length,
      headSha: args.headSha,
      sinceSha: args.sinceSha,
      reviewUrl: args.posted.url,
      costUsd: args.costUsd,
      numTurns: args.numTurns,
      carriedFingerprints: carried,
      marker: args.marker
    })
  )
}

/** What a run that could not publish keeps: every finding, in the job summary only. */
export function unpublished(findings: Finding[]): Published {
  return {
    reviewId: undefined,
    inlineCount: 0,
    summaryCommentId: undefined,
    placement: new Map(findings.map(f => [f, 'job summary only']))
  }
}

/**
 * The review's part of the job summary: the findings table, and when nothing reached the pull
 * request, the whole review body as well.
 */
export function renderReviewJobSummary(args: {
  review: ReviewOutput
  verdict: Verdict
  placement: Map<Finding, string>
  posted: boolean
  redact: Redact
}): string {
  const { review, redact } = args
  const everything = args.posted
    ? ''
    : `\n${redact(
        renderReviewBody({
          summary: review.summary,
          unanchored: review.findings.map(finding => ({
            finding,
            fingerprint: fingerprint(finding),
            reason: 'not posted to the pull request'
          }))
        })
      )}\n`
  return (
    redact(
      renderFindingsTable({
        verdict: args.verdict,
        findings: review.findings,
        placement: args.placement
      })
    ) + everything
  )
}

/** The review's own outputs (CONTRACT.md, Outputs: `review`). */
export function reviewOutputs(
  review: ReviewOutput,
  verdict: Verdict,
  published: Published
): Record<string, string> {
  return {
    'review-id': published.reviewId ? String(published.reviewId) : '',
    verdict,
    findings: JSON.stringify(review.findings),
    'findings-count': String(review.findings.length),
    'inline-comments': String(published.inlineCount),
    'summary-comment-id': published.summaryCommentId ? String(published.summaryCommentId) : ''
  }
}

const REFUSED = 'GitHub refused it as an inline comment'

/**
 * The comments GitHub refuses, found by halves: `accepts` tells whether GitHub takes a review
 * carrying these comments (github/publish.ts asks with a pending review, deleted again).
 */
export async function findRefused(
  items: InlineFinding[],
  accepts: (subset: InlineFinding[]) => Promise<boolean>
): Promise<InlineFinding[]> {
  const probe = async (subset: InlineFinding[]): Promise<InlineFinding[]> => {
    if (subset.length === 0) return []
    if (await accepts(subset)) return []
    if (subset.length === 1) return subset
    const half = Math.ceil(subset.length / 2)
    return [...(await probe(subset.slice(0, half))), ...(await probe(subset.slice(half)))]
  }
  return probe(items)
}

/** The inline comments without the refused ones, and the refused ones as body entries. */
export function withoutRefused(
  inline: InlineFinding[],
  refused: InlineFinding[]
): { accepted: InlineFinding[]; moved: UnanchoredFinding[] } {
  return {
    accepted: inline.filter(item => !refused.includes(item)),
    moved: refused.map(item => ({
      finding: item.finding,
      fingerprint: item.fingerprint,
      reason: REFUSED
    }))
  }
}
