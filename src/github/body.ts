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
 * trailer is kept: a marker that stood anywhere else was never Tandem's to keep.
 */
export function fitBody(body: string): string {
  const chars = [...body]
  if (chars.length <= MAX_BODY_CHARS) return body
  const trailer = trailerMarkers(body)
  let content = body.replace(/\s+$/, '')
  for (let i = 0; i < trailer.length; i++) {
    content = content.slice(0, Math.max(0, content.lastIndexOf('\n')))
  }
  const kept = trailer.join('\n')
  const room = MAX_BODY_CHARS - [...TRUNCATED].length - [...kept].length
  let head = [...content].slice(0, Math.max(0, room)).join('')
  // A cut inside an HTML comment would hide everything after it, the markers included.
  const open = head.lastIndexOf('<!--')
  if (open > head.lastIndexOf('-->')) head = head.slice(0, open)
  return head + TRUNCATED + kept
}
