// `npm run bench`: every figure beside its baseline, as a ratio measured in the same run.
import { printFigures, type Figure } from './figures.js'
import { proxyFigures } from './proxy.js'
import { reviewFigures } from './review.js'
import { startupFigures } from './startup.js'
import { streamFigures } from './stream.js'

const sections: [string, () => Promise<Figure[]>][] = [
  ['stream parser', streamFigures],
  ['action start-up', startupFigures],
  ['review', reviewFigures],
  ['model proxy', proxyFigures],
  ['fan-out plan', async () => (await import('./fanout-plan.js')).fanoutPlanFigures()],
  ['fan-out shard', async () => (await import('./fanout-shard.js')).fanoutShardFigures()],
  ['fan-out collect', async () => (await import('./fanout-collect.js')).fanoutCollectFigures()],
  ['explore', async () => (await import('./explore.js')).exploreFigures()]
]

// The fake GitHub's validation worker is unref'd; without a live handle Node would exit while
// awaiting it.
const keepAlive = setInterval(() => undefined, 1000)
const all: Figure[] = []
for (const [name, measure] of sections) {
  console.log(`\n## ${name}`)
  const figures = await measure()
  printFigures(figures)
  all.push(...figures)
}
const missed = all.filter(figure => !figure.ok).length
console.log(`\n${all.length - missed} of ${all.length} figures on target`)
clearInterval(keepAlive)
// The fake GitHub keeps its validation worker for a moment after close.
process.exit(0)
