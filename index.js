'use strict'
// ferrogit's entry point: the native binding plus the GitError class every
// failure is an instance of. Types are in index.d.ts (generated; see scripts/build.mjs).
const binding = require('./binding.js')

class GitError extends Error {
  constructor(message) {
    super(message)
    this.name = 'GitError'
  }
}

binding.__setErrorClass(GitError)

/** The leaf object id of a ref (following a symbolic chain), or null. */
function leafOid(ref) {
  while (ref && ref.kind === 'symbolic') ref = ref.target
  return ref ? ref.oid : null
}

/**
 * Watch refs for changes made by any process (git included): polls the ref
 * database (cheap: packed-refs is re-read only when its stat changes) and calls
 * `listener` with what changed since the last look.
 */
binding.RefDatabase.prototype.watch = function watch(listener, options = {}) {
  if (typeof listener !== 'function') throw new TypeError('watch(listener): listener must be a function')
  const prefix = options.prefix ?? 'refs/'
  const pollMs = options.pollMs ?? 1000
  const snapshot = () => new Map(this.listSync(prefix).map((r) => [r.name, leafOid(r)]))
  let last = snapshot()
  let busy = false
  const timer = setInterval(async () => {
    if (busy) return
    busy = true
    try {
      const now = new Map((await this.list(prefix)).map((r) => [r.name, leafOid(r)]))
      const changes = []
      for (const [name, oid] of now) if (last.get(name) !== oid) changes.push({ name, oldOid: last.get(name) ?? null, newOid: oid })
      for (const [name, oid] of last) if (!now.has(name)) changes.push({ name, oldOid: oid, newOid: null })
      last = now
      if (changes.length) listener(changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    } catch {
      // A transient error (a ref file mid-rename, say): try again on the next tick.
    } finally {
      busy = false
    }
  }, pollMs)
  // Like fs.watch, a watcher keeps the process alive unless { persistent: false }.
  if (options.persistent === false) timer.unref?.()
  return { close: () => clearInterval(timer) }
}

module.exports = { ...binding, GitError }
delete module.exports.__setErrorClass
