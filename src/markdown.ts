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
export function inlineCode(raw: string): string {
  // A code span is one line: a blank line (a file name or a model's path may hold one) would
  // end it and let the rest render as markdown.
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const text = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ')
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map(run => run.length))
  const ticks = '`'.repeat(longestRun + 1)
  const pad = longestRun > 0 ? ' ' : ''
  return `${ticks}${pad}${text}${pad}${ticks}`
}

// --- Inert text ----------------------------------------------------------------------------
//
// Model-written and PR-written text is posted where GitHub renders it: a mention would ping,
// an image would load (and its URL can carry data out), raw HTML would render, and a
// `<!-- tandem:… -->` comment would be read back as one of Tandem's markers. `inertMarkdown`
// leaves code alone (a suggestion block is code the user commits) and makes the rest inert.
//
// The one thing that must never happen is that this module takes something for code that
// GitHub renders as markdown: that text would go out untouched. Taking code for prose only
// shows an escape (`&lt;`) inside a code block. So code is recognised only where GitHub is sure
// to read code too, and anything this small tokenizer cannot read the way GitHub does makes
// it treat the rest as prose:
// - fenced blocks (``` or ~~~, any length, up to 3 spaces of indent; an unclosed one runs to
//   the end). An indented fence may sit in a list item that ends earlier than the fence does,
//   so it counts only if no line of it is less indented than its opening line and none could
//   close it inside a list item; a fence after a list marker or `>`, or indented 4 or more, is
//   not read at all, and the rest of the text is prose.
// - inline code spans on one line. A span may run over several lines, but where that line is a
//   new block GitHub ends it, so after a backtick run with no partner on its own line the rest
//   of the paragraph is prose. Lines with `|` (a table row, whose cells split spans) or `$`
//   (math) hold no spans, and a backtick in a bare URL (an autolink may swallow it) ends spans
//   for the paragraph.
// Indented code blocks are read as prose.

/** A Tandem marker: `<!--`, optional whitespace, `tandem` (any case). */
const MARKER_START = /<!--(?=\s*tandem)/gi

/**
 * `text` with every Tandem marker broken by a ZERO WIDTH SPACE after `<!--`, so that no marker
 * parser (which allows only whitespace there, and U+200B is not whitespace) reads it as one.
 * For code and plain-text places, where nothing else may change.
 */
export function neutralizeMarkers(text: string): string {
  return text.replace(MARKER_START, '<!--\u200b')
}

/**
 * `text` (markdown from the model or the PR) made safe to post: outside code, `@name` and
 * `@org/team` do not ping, images do not load, raw HTML and comments show as text, and link
 * reference definitions are shown rather than defined; inside code nothing changes but Tandem
 * markers (see `neutralizeMarkers`). Pure and total. Bare URLs stay (they are autolinked, which
 * loads nothing); an `@` inside a word (`a@b.com`) is no mention and stays.
 */
export function inertMarkdown(text: string): string {
  const parts = text.split(/(\r\n|\r|\n)/)
  const lines: Array<{ text: string; end: string }> = []
  for (let i = 0; i < parts.length; i += 2) lines.push({ text: parts[i]!, end: parts[i + 1] ?? '' })
  let out = ''
  let certain = true
  let openBacktick = false
  for (let i = 0; i < lines.length;) {
    const line = lines[i]!
    if (!certain) {
      out += inertProse(line.text, 0, line.text.length) + line.end
      i++
      continue
    }
    const fence = fenceOpening(line.text)
    if (fence) {
      const close = fenceClosing(lines, i, fence)
      if (close === undefined) {
        certain = false
        continue
      }
      for (const code of lines.slice(i, close + 1)) out += neutralizeMarkers(code.text) + code.end
      i = close + 1
      openBacktick = false
      continue
    }
    if (FENCE_LIKE.test(line.text)) {
      certain = false
      continue
    }
    if (/^[ \t]*$/.test(line.text)) {
      openBacktick = false
      out += line.text + line.end
    } else {
      const inline = inertLine(line.text, openBacktick)
      openBacktick = inline.openBacktick
      out += inline.text + line.end
    }
    i++
  }
  return out
}

interface Fence {
  indent: number
  char: string
  length: number
}

/** A line that opens a fenced block at the top level (an info string after ``` has no `). */
function fenceOpening(line: string): Fence | undefined {
  const m = /^( {0,3})(`{3,}(?=[^`]*$)|~{3,})/.exec(line)
  return m ? { indent: m[1]!.length, char: m[2]![0]!, length: m[2]!.length } : undefined
}

/** A fence after a list marker or `>`, or indented by a tab or 4 columns: not read here. */
const FENCE_LIKE = /^(?:[ \t>]|(?:[-+*]|\d{1,9}[.)])(?=[ \t]))*(?:`{3,}[^`]*|~{3,}.*)$/

/** Columns of leading whitespace, a tab reaching the next multiple of 4. */
function indentOf(line: string): number {
  let columns = 0
  for (const c of line) {
    if (c === ' ') columns++
    else if (c === '\t') columns += 4 - (columns % 4)
    else break
  }
  return columns
}

/**
 * The index of the line that closes the block `fence` opens at line `open` (the last line if
 * none does), or undefined when an indented fence may end elsewhere for GitHub: in a list item
 * the block ends with the first less indented line, and closes on a fence indented up to 3
 * columns more than the item's content.
 */
function fenceClosing(
  lines: ReadonlyArray<{ text: string }>,
  open: number,
  fence: Fence
): number | undefined {
  const run = `${fence.char === '`' ? '`' : '~'}{${fence.length},}`
  const closing = new RegExp(`^ {0,3}${run}[ \\t]*$`)
  const mayClose = new RegExp(`^[ \\t]*${run}[ \\t]*$`)
  for (let i = open + 1; i < lines.length; i++) {
    const text = lines[i]!.text
    if (fence.indent > 0 && !/^[ \t]*$/.test(text)) {
      const indent = indentOf(text)
      if (indent < fence.indent) return undefined
      if (indent >= 4 && indent <= fence.indent + 3 && mayClose.test(text)) return undefined
    }
    if (closing.test(text)) return i
  }
  return lines.length - 1
}

/** A bare URL GitHub autolinks: after a space or `*_~(`, with a dotted domain. */
const BARE_URL = /(?:https?:\/\/|www\.)[A-Za-z0-9-]+(?:\.[A-Za-z0-9_-]+)+[^\s<]*/iy
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/

/**
 * One line of a paragraph: its code spans kept, the rest made inert. `openBacktick`: an
 * earlier line of the paragraph had a backtick run without a partner, which GitHub may pair
 * with one on this line; then this line holds no code.
 */
function inertLine(line: string, openBacktick: boolean): { text: string; openBacktick: boolean } {
  let spans = !openBacktick && !/[|$]/.test(line)
  let out = ''
  let from = 0
  let i = 0
  while (i < line.length) {
    const c = line[i]!
    if (c === '\\' && ASCII_PUNCTUATION.test(line[i + 1] ?? '')) {
      i += 2
      continue
    }
    if (
      (c === 'h' || c === 'H' || c === 'w' || c === 'W') &&
      /^[\s*_~(]?$/.test(line[i - 1] ?? '')
    ) {
      BARE_URL.lastIndex = i
      const url = BARE_URL.exec(line)
      if (url) {
        out += inertProse(line, from, i) + inertProse(line, i, i + url[0].length, true)
        from = i += url[0].length
        if (url[0].includes('`')) {
          openBacktick = true
          spans = false
        }
        continue
      }
    }
    if (c === '`') {
      let n = 1
      while (line[i + n] === '`') n++
      const close = closingRun(line, i + n, n)
      if (close < 0) {
        openBacktick = true
        i += n
      } else if (spans) {
        out += inertProse(line, from, i) + neutralizeMarkers(line.slice(i, close + n))
        from = i = close + n
      } else {
        // Paired as GitHub pairs them, but shown as prose.
        i = close + n
      }
      continue
    }
    i++
  }
  return { text: out + inertProse(line, from, line.length), openBacktick }
}

/** Where the first backtick run of exactly `n` at or after `from` starts, or -1. */
function closingRun(line: string, from: number, n: number): number {
  for (let i = line.indexOf('`', from); i >= 0; i = line.indexOf('`', i)) {
    let end = i
    while (line[end] === '`') end++
    if (end - i === n) return i
    i = end
  }
  return -1
}

/**
 * `line.slice(from, to)`, which GitHub renders as markdown, made inert:
 * - `<` becomes `&lt;` (which renders as `<`): no tag, comment or autolink is left, so HTML,
 *   `<img>` and `<!-- tandem… -->` show as text. `\<` becomes `&lt;` too, so the posted text
 *   holds no `<!--` at all.
 * - `&` becomes `&amp;`: no entity renders as the character it names.
 * - `![` becomes `!\[`: the image shows as its source text; `]:` becomes `\]:`, so no link
 *   reference definition exists for an image (or a multi-line title) to use.
 * - `@name` gets a WORD JOINER (U+2060) after the `@`. GitHub links a mention only when the
 *   name follows the `@` directly; an invisible character keeps the text readable as it was
 *   (`@&#8203;name` would show the entity in every place that does not render HTML, and a zero
 *   width space would let the line break after the `@`). An `@` after a letter, digit or `_`
 *   (an email address) is no mention and stays, as does one inside a bare URL (`url`).
 */
const HARMLESS_ENTITY = /^&(?:lt|gt|amp|quot);/

function inertProse(line: string, from: number, to: number, url = false): string {
  let out = ''
  for (let i = from; i < to; i++) {
    const c = line[i]!
    const next = line[i + 1] ?? ''
    if (c === '\\' && i + 1 < to && ASCII_PUNCTUATION.test(next)) {
      out += next === '<' ? '&lt;' : c + next
      i++
    } else if (c === '<') {
      out += '&lt;'
    } else if (c === '&' && !HARMLESS_ENTITY.test(line.slice(i, i + 6))) {
      // An entity would render as the character it names: `&#64;name` as a mention, a token
      // with `&#67;` every few characters as the token, past every redactor. The few that
      // name plain punctuation stay, so text made inert once is left as it is.
      out += '&amp;'
    } else if (c === '!' && next === '[') {
      out += '!\\['
      i++
    } else if (c === ']' && next === ':') {
      out += '\\]'
    } else if (
      c === '@' &&
      !url &&
      /[A-Za-z0-9]/.test(next) &&
      !/[A-Za-z0-9_]/.test(line[i - 1] ?? '')
    ) {
      out += '@\u2060'
    } else {
      out += c
    }
  }
  return out
}

/** Text for one cell of a markdown table: one line, and a `|` that does not end the cell. */
export function tableCell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|')
}

/** Text on one line: every run of white space (line breaks included) one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}
