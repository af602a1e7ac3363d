import { mkdirSync } from 'node:fs'
import path from 'node:path'

export const BENCH_DIR = path.join(import.meta.dirname, '..', '.bench')
mkdirSync(BENCH_DIR, { recursive: true })

/** One measured figure, printed beside the baseline measured in the same run. */
export interface Figure {
  name: string
  value: string
  baseline: string
  /** value relative to baseline, oriented so that the target reads naturally. */
  ratio: number
  target: string
  ok: boolean
}

export function printFigures(figures: Figure[]): void {
  for (const figure of figures) {
    console.log(
      `${figure.ok ? 'ok  ' : 'MISS'} ${figure.name}: ${figure.value} | baseline ${figure.baseline} | ratio ${figure.ratio.toFixed(2)} (target ${figure.target})`
    )
  }
}
