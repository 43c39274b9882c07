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

const STORAGE = ['new', 'loose', 'packed', 'loose-packed', 'memory']

/**
 * Ref objects from a listing in the compact form the addon sends (see `Listing`
 * in src/js/refs.rs): names joined by '\n', 40 hex per oid and per peeled id,
 * one meta byte per ref (storage in bits 0-2, 8 = has oid, 16 = symbolic,
 * 32 = has peeled), and the symbolic refs as whole objects.
 */
function buildRefs([names, oids, meta, peeled, symbolic]) {
  const n = meta.length
  const out = new Array(n)
  let start = 0
  let o = 0
  let p = 0
  let s = 0
  for (let i = 0; i < n; i++) {
    let end = names.indexOf('\n', start)
    if (end < 0) end = names.length
    const m = meta[i]
    if (m & 16) {
      out[i] = symbolic[s++]
    } else {
      out[i] = {
        kind: 'direct',
        name: names.slice(start, end),
        oid: m & 8 ? oids.slice(o, (o += 40)) : null,
        peeled: m & 32 ? peeled.slice(p, (p += 40)) : null,
        storage: STORAGE[m & 7],
      }
    }
    start = end + 1
  }
  return out
}

/** Every ref under `prefix` (default `refs/`), sorted by name; loose overrides packed. */
binding.RefDatabase.prototype.list = function list(prefix) {
  return this.__listRaw(prefix).then(buildRefs)
}

/** `list`, synchronously. */
binding.RefDatabase.prototype.listSync = function listSync(prefix) {
  return buildRefs(this.__listRawSync(prefix))
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
