// The working directory and the prompt (inline or from a file).
import { readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import type { Mode } from '../inputs.js'
import {
  InputError,
  type InputReader,
  invalid,
  optionalString,
  quoteValue,
  shorten
} from './values.js'

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}

export function resolveWorkingDirectory(read: InputReader, env: NodeJS.ProcessEnv): string {
  const workspace = env.GITHUB_WORKSPACE?.trim() || undefined
  const raw = read('working-directory').trim()
  if (raw === '') {
    const dir = path.resolve(workspace ?? process.cwd())
    if (!isDirectory(dir)) {
      throw new InputError(
        `Input 'working-directory' is empty and its default, $GITHUB_WORKSPACE ${JSON.stringify(dir)}, is not an existing directory`
      )
    }
    return dir
  }
  // Relative paths mean the same thing as a step's own `working-directory`: inside the workspace.
  const dir = path.resolve(workspace ?? process.cwd(), raw)
  if (!isDirectory(dir)) {
    throw invalid('working-directory', raw, `an existing directory (${shorten(dir)} is not one)`)
  }
  return dir
}

// A mode where the agent has nothing to do without a task.
function needsPrompt(mode: Mode, prNumber: number | undefined): boolean {
  if (mode === 'pair') return prNumber === undefined
  return mode === 'write' || mode === 'shard' || mode === 'run' || mode === 'explore'
}

export function readPrompt(
  read: InputReader,
  mode: Mode,
  prNumber: number | undefined,
  workingDirectory: string
): { prompt: string | undefined; promptFile: string | undefined } {
  const prompt = optionalString(read, 'prompt')
  const rawFile = optionalString(read, 'prompt-file')
  if (prompt !== undefined && rawFile !== undefined) {
    throw new InputError(
      `Inputs 'prompt' and 'prompt-file' are both set (prompt-file ${quoteValue(rawFile)}): expected only one of them`
    )
  }
  if (rawFile !== undefined) {
    const promptFile = path.resolve(workingDirectory, rawFile)
    if (!isFile(promptFile)) {
      throw invalid('prompt-file', rawFile, `an existing file (${shorten(promptFile)} is not one)`)
    }
    const text = readFileSync(promptFile, 'utf8')
    if (text.trim() === '') {
      throw invalid('prompt-file', rawFile, `a file holding the prompt (${promptFile} is empty)`)
    }
    // A NUL byte means a binary file, and no process's stdin prompt should carry one.
    if (text.includes('\0')) {
      throw invalid('prompt-file', rawFile, `a text file (${promptFile} holds a NUL byte)`)
    }
    return { prompt: text, promptFile }
  }
  if (prompt === undefined && needsPrompt(mode, prNumber)) {
    const why = mode === 'pair' ? ` without 'pr-number'` : ''
    throw new InputError(
      `Inputs 'prompt' and 'prompt-file' are both empty: mode "${mode}"${why} expected one of them to give the task`
    )
  }
  return { prompt, promptFile: undefined }
}
