/** Ordered from most to least severe, so an index comparison ranks two severities. */
export const SEVERITIES = ['critical', 'major', 'minor', 'nit'] as const
export type Severity = (typeof SEVERITIES)[number]
