// Runs in a fresh process so its peak RSS is the parser's alone.
import { parseWithStreamParser } from './stream.js'

const file = process.argv[2]
if (!file) throw new Error('usage: stream-peak.ts FILE')
await parseWithStreamParser(file)
process.stdout.write(String(process.resourceUsage().maxRSS / 1024))
