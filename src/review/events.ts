/** `review-event`: `auto` requests changes when a finding blocks, `comment` never does. */
export const REVIEW_EVENTS = ['auto', 'comment'] as const
export type ReviewEventChoice = (typeof REVIEW_EVENTS)[number]
