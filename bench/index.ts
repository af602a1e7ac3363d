// `npm run bench`: every figure beside its baseline, as a ratio measured in the same run.
import { printFigures, type Figure } from './figures.js'
import { startupFigures } from './startup.js'
import { streamFigures } from './stream.js'

const sections: [string, () => Promise<Figure[]>][] = [
  ['stream parser', streamFigures],
  ['action start-up', startupFigures]
]

const all: Figure[] = []
for (const [name, measure] of sections) {
  console.log(`\n## ${name}`)
  const figures = await measure()
  printFigures(figures)
  all.push(...figures)
}
const missed = all.filter(figure => !figure.ok).length
console.log(`\n${all.length - missed} of ${all.length} figures on target`)
