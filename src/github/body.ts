/**
 * What GitHub accepts as the body of a comment, review or pull request, and the trailer of
 * markers Tandem finds its own posts by.
 */

import { hasTrailerMarker, trailerMarkers } from '../review/findings.js'

/** `body` with `marker` in its trailer (appended last when it is not there yet). */
export function withTrailerMarker(body: string, marker: string): string {
  return hasTrailerMarker(body, marker) ? body : `${body.replace(/\s+$/, '')}\n${marker}\n`
}

// GitHub keeps what it is sent, but editors and the web UI may turn \n into \r\n.
export function sameBody(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trimEnd()
  return norm(a) === norm(b)
}

/** GitHub refuses a comment or review body longer than this many characters. */
export const MAX_BODY_CHARS = 65536

const TRUNCATED = '\n\n…*(truncated: GitHub allows 65,536 characters)*\n'

/**
 * A body GitHub will accept: cut to the limit, keeping its trailer (the markers at its end, see
 * trailerMarkers), since later runs find their comments and fingerprints by them. Only the
 * trailer is kept: a marker that stood anywhere else was never Tandem's to keep. A trailer
 * that alone would take more than half the limit (over ~700 findings listed) keeps its other
 * markers and the finding markers that fit in that half: the ones left out are findings a later
 * run lists again, which is better than a body GitHub refuses.
 */
export function fitBody(body: string): string {
  const chars = [...body]
  if (chars.length <= MAX_BODY_CHARS) return body
  const trailer = trailerMarkers(body)
  let content = body.replace(/\s+$/, '')
  for (let i = 0; i < trailer.length; i++) {
    content = content.slice(0, Math.max(0, content.lastIndexOf('\n')))
  }
  const kept = keptTrailer(trailer).join('\n')
  const room = MAX_BODY_CHARS - [...TRUNCATED].length - [...kept].length
  let head = [...content].slice(0, Math.max(0, room)).join('')
  // Whole lines only: a cut inside a code span would drop its closing backtick, and what the
  // span held (model text left raw as code: mentions, images) would render as markdown.
  if (head.length < content.length) head = head.slice(0, Math.max(0, head.lastIndexOf('\n')))
  // A cut inside an HTML comment would hide everything after it, the markers included.
  const open = head.lastIndexOf('<!--')
  if (open > head.lastIndexOf('-->')) head = head.slice(0, open)
  return head + TRUNCATED + kept
}

function keptTrailer(trailer: string[]): string[] {
  const budget = MAX_BODY_CHARS / 2
  if (trailer.join('\n').length <= budget) return trailer
  // Markers are ASCII: their length is their character count.
  const isFinding = (marker: string) => marker.startsWith('<!-- tandem:finding fp=')
  let room = budget - trailer.filter(marker => !isFinding(marker)).join('\n').length
  return trailer.filter(marker => {
    if (!isFinding(marker)) return true
    room -= marker.length + 1
    return room >= 0
  })
}
