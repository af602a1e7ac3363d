// The pull request the review and address e2e tests share: 30 numbered lines, of which the PR
// changes line 5 (to an eval) and line 20 (to a division by zero), so its hunks are 2-8 and 17-23.
export const BASE_CALC =
  Array.from({ length: 30 }, (_, i) => `export const v${i + 1} = ${i + 1}`).join('\n') + '\n'

export const HEAD_CALC = BASE_CALC.replace(
  'export const v5 = 5',
  'export const v5 = eval(input)'
).replace('export const v20 = 20', 'export const v20 = 20 / 0')
