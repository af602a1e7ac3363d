import { describe, expect, it } from '@jest/globals'
import {
  WRITER_REPORT_SCHEMA,
  buildWriterPrompt,
  parseWriterReport
} from '../../src/write/report.js'

describe('parseWriterReport', () => {
  it('reads summary and changes', () => {
    expect(
      parseWriterReport({
        summary: ' Fix it \n',
        changes: [{ path: './src/a.ts', why: 'bug' }]
      })
    ).toEqual({ summary: 'Fix it', changes: [{ path: 'src/a.ts', why: 'bug' }] })
  })

  it('drops malformed entries rather than failing a run whose edits are fine', () => {
    expect(
      parseWriterReport({
        summary: 'S',
        changes: [null, 'x', { why: 'no path' }, { path: '  ' }, { path: 'b.ts', why: 3 }]
      })
    ).toEqual({ summary: 'S', changes: [{ path: 'b.ts', why: '' }] })
    expect(parseWriterReport({ summary: 'S' })).toEqual({ summary: 'S', changes: [] })
  })

  it('is undefined without a summary', () => {
    for (const value of [undefined, null, 'text', {}, { summary: '  ' }, { summary: 1 }]) {
      expect(parseWriterReport(value)).toBeUndefined()
    }
  })
})

describe('the writer prompt and schema', () => {
  it('asks for StructuredOutput last, after the edits', () => {
    const prompt = buildWriterPrompt('  Fix the lint errors\n', { allowWorkflowChanges: false })
    expect(prompt).toContain('<task>\nFix the lint errors\n</task>')
    expect(prompt).toContain('only then — call the StructuredOutput tool once')
    expect(prompt).toContain('Do not change anything under .github/workflows')
    expect(buildWriterPrompt('x', { allowWorkflowChanges: true })).toContain(
      'Change files under .github/workflows only when the task asks for it.'
    )
  })

  it('requires the fields the body is built from', () => {
    expect(WRITER_REPORT_SCHEMA.required).toEqual(['summary', 'changes'])
    expect(WRITER_REPORT_SCHEMA.properties.changes.items.required).toEqual(['path', 'why'])
  })
})
