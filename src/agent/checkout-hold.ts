import * as core from '@actions/core'
import type { CheckoutKeeper, FileChange } from './settings.js'

interface CheckoutHold {
  holders: number
  labels: Set<string>
  ready: Promise<void>
  release: () => void
  done: Promise<void>
}

// One hold per checkout while any agent code runs in it: sessions that run at the same time
// (the shards of a fan-out) share one .git/config, so its credentials are taken out when the
// first starts and put back, with the guarded configuration, when the last has ended.
const holds = new Map<string, CheckoutHold>()
const releasing = new Map<string, Promise<void>>()

/** Holds the checkout until the function it returns is called (by every holder). */
export async function holdCheckout(
  keeper: CheckoutKeeper,
  cwd: string,
  label: string
): Promise<() => Promise<void>> {
  let hold = holds.get(cwd)
  if (hold === undefined) {
    let release!: () => void
    let ready!: () => void
    const released = new Promise<void>(resolve => (release = resolve))
    const readyOnce = new Promise<void>(resolve => (ready = resolve))
    const labels = new Set<string>()
    // A hold still putting the credentials back must finish first: hiding them again half-way
    // would let that restore bring them back while the new agent code runs.
    const previous = releasing.get(cwd) ?? Promise.resolve()
    const done = previous.then(() =>
      keeper.hold(
        cwd,
        async () => {
          ready()
          await released
        },
        changes => reportChanges([...labels].join(', '), changes)
      )
    )
    hold = {
      holders: 0,
      labels,
      // A hold that could not be taken fails every waiting holder.
      ready: Promise.race([readyOnce, done.then(() => undefined)]),
      release,
      done
    }
    holds.set(cwd, hold)
  }
  const mine = hold
  mine.holders++
  mine.labels.add(label)
  try {
    await mine.ready
  } catch (error) {
    mine.holders--
    if (holds.get(cwd) === mine) holds.delete(cwd)
    throw error
  }
  return async () => {
    mine.holders--
    if (mine.holders > 0) return
    if (holds.get(cwd) === mine) holds.delete(cwd)
    const settled = mine.done.catch(() => undefined)
    releasing.set(cwd, settled)
    mine.release()
    await mine.done
  }
}

/**
 * Ends every hold at once, for a cancelled job: a hold a mode took for all its sessions
 * (withCheckoutHeld) would otherwise end only after the mode's code went on.
 */
export async function releaseAllHolds(): Promise<void> {
  for (const hold of [...holds.values()]) {
    hold.release()
    await hold.done.catch(error =>
      core.warning(`Putting the checkout back failed: ${(error as Error).message}`)
    )
  }
}

export function reportChanges(label: string, changes: FileChange[]): void {
  for (const change of changes) {
    core.warning(
      `${label} ${change.kind === 'added' ? 'added' : change.kind === 'removed' ? 'removed' : 'changed'} ` +
        `${change.path}; Tandem put it back as it was before ${label} ran`
    )
  }
}
