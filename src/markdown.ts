/** Markdown that holds text it does not control: the text can never close its own fence. */

/** A code block whose fence is longer than any backtick run inside. */
export function fenced(content: string, language = ''): string {
  const longest = Math.max(2, ...(content.match(/`+/g) ?? []).map(run => run.length))
  const fence = '`'.repeat(longest + 1)
  // Empty content gets no line at all: an empty suggestion block deletes the lines, while one
  // holding an empty line would replace them with a blank line.
  return content === ''
    ? `${fence}${language}\n${fence}`
    : `${fence}${language}\n${content}\n${fence}`
}

/** An inline code span that holds backticks too. */
export function inlineCode(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const ticks = '`'.repeat(longestRun + 1)
  const pad = longestRun > 0 ? ' ' : ''
  return `${ticks}${pad}${text}${pad}${ticks}`
}
