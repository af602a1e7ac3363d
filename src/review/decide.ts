import { planReview, type ReviewPlan } from './anchor.js'
import type { ParsedDiff } from './diff.js'
import { atOrAbove, fingerprint, readFingerprints, type Finding, type Verdict } from './findings.js'
import { parseFindingComment } from './render.js'
import { threadsToResolve, type PostedThread } from './resolve.js'

/** What the review read off the pull request before the reviewer ran. */
export interface ReviewState<T extends PostedThread> {
  /** The whole pull request: what comments anchor on. */
  fullDiff: ParsedDiff
  /** What the reviewer was shown: the whole PR, or what changed since `sinceSha`. */
  reviewDiff: ParsedDiff
  sinceSha: string | undefined
  /** Tandem's own threads on the pull request. */
  threads: T[]
  postedFingerprints: ReadonlySet<string>
}

export interface ReviewDecision<T extends PostedThread> {
  plan: ReviewPlan
  /** Tandem's threads that this review no longer reports and whose lines changed. */
  toResolve: T[]
  /** This run's findings plus Tandem's findings still open on the PR. */
  standing: Finding[]
  verdict: Verdict
  /** The standing findings at or above blocking-severity. */
  blocking: Finding[]
}

/** Where this run's findings go, which threads close, and the verdict over what still stands. */
export function decideReview<T extends PostedThread>(
  findings: Finding[],
  state: ReviewState<T>,
  options: { maxInlineComments: number; blockingSeverity: Finding['severity'] }
): ReviewDecision<T> {
  const plan = planReview(findings, state.fullDiff, {
    existingFingerprints: state.postedFingerprints,
    maxInlineComments: options.maxInlineComments,
    allowLeftSide: state.sinceSha === undefined
  })
  // The verdict covers what still stands on the PR, not only what this run saw: an incremental
  // review of a small push must not turn an open critical finding into "looks good".
  const reported = new Set(findings.map(finding => fingerprint(finding)))
  const toResolve = threadsToResolve(state.threads, reported, {
    sinceSha: state.sinceSha,
    diff: state.reviewDiff
  })
  const standing = [...findings, ...openThreadFindings(state.threads, reported, toResolve)]
  return {
    plan,
    toResolve,
    standing,
    verdict: verdictFor(standing, options.blockingSeverity),
    blocking: standing.filter(f => atOrAbove(f.severity, options.blockingSeverity))
  }
}

/** Why the step fails under `fail-on`: standing findings at or above it; none without it. */
export function failOnFailure(
  standing: Finding[],
  failOn: Finding['severity'] | undefined
): string | undefined {
  const failing = failOn ? standing.filter(finding => atOrAbove(finding.severity, failOn)) : []
  return failing.length > 0
    ? `${failing.length} finding(s) at or above '${failOn}' (fail-on)`
    : undefined
}

/**
 * Blocking findings with no open thread (listed off the diff, or on a thread resolved earlier)
 * are invisible to `address`: pair hands them to the writer directly.
 */
export function unthreadedFindings<T extends PostedThread>(
  decision: ReviewDecision<T>,
  threads: T[],
  /** This run's findings, and where each was placed. */
  findings: Finding[],
  placement: ReadonlyMap<Finding, string>
): Finding[] {
  const openFingerprints = new Set([
    ...threads
      .filter(thread => !thread.isResolved && !decision.toResolve.includes(thread))
      .flatMap(thread => readFingerprints(thread.comments[0]?.body ?? '')),
    ...findings
      .filter(finding => placement.get(finding) === 'inline')
      .map(finding => fingerprint(finding))
  ])
  return decision.blocking.filter(f => !openFingerprints.has(fingerprint(f)))
}

/**
 * The verdict follows the findings and `blocking-severity` alone: the model's own verdict may
 * be stricter or milder than the workflow asked for.
 */
function verdictFor(findings: Finding[], blockingSeverity: Finding['severity']): Verdict {
  if (findings.some(f => atOrAbove(f.severity, blockingSeverity))) return 'request_changes'
  return findings.length > 0 ? 'comment' : 'approve'
}

/** Tandem's open threads that stay open after this run and that this run did not report again. */
function openThreadFindings(
  threads: PostedThread[],
  reported: ReadonlySet<string>,
  resolving: PostedThread[]
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
