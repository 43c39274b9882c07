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

// --- object fields -------------------------------------------------------------

/** The `Signature` at field `i` (of 4 per signature) of a compact `name\0email\0seconds\0offset` list. */
function sigAt(parts, i) {
  const seconds = Number(parts[i + 2])
  // Frozen: one object serves every read of the field.
  return Object.freeze({ name: parts[i], email: parts[i + 1], seconds, offset: Number(parts[i + 3]), date: new Date(seconds * 1000) })
}

/**
 * Objects never change, so a field is computed once per instance: the first read
 * stores it as an own (non-enumerable) property that later reads find directly.
 */
function memoize(proto, name, compute) {
  const native = Object.getOwnPropertyDescriptor(proto, name)?.get
  const get = compute ?? native
  if (!get) return
  Object.defineProperty(proto, name, {
    configurable: true,
    enumerable: false,
    get() {
      const value = get.call(this)
      Object.defineProperty(this, name, { value, configurable: true, enumerable: false, writable: false })
      return value
    },
  })
}

/**
 * Commits from a `log` batch and where their fields are: the worker sent the
 * batch's oids, signatures and summaries along (see `Batch` in
 * src/js/history.rs), so reading them needs no crossing per commit.
 */
const BATCH = new WeakMap()

function prefill([commits, oids, people, summaries]) {
  const b = { oids, peopleRaw: people, people: null, summariesRaw: summaries, summaries: null }
  for (let i = 0; i < commits.length; i++) BATCH.set(commits[i], [b, i])
  return commits
}

/** Both signatures of a commit come in one crossing (or from its batch); each is kept (frozen) for later reads. */
function people(commit) {
  let parts
  let at = 0
  const e = BATCH.get(commit)
  if (e && e[0].peopleRaw !== '') {
    parts = e[0].people ??= e[0].peopleRaw.split('\0')
    at = e[1] * 8
  } else {
    parts = commit.__people().split('\0')
  }
  const author = sigAt(parts, at)
  const committer = sigAt(parts, at + 4)
  Object.defineProperty(commit, 'author', { value: author, configurable: true, enumerable: false, writable: false })
  Object.defineProperty(commit, 'committer', { value: committer, configurable: true, enumerable: false, writable: false })
  return { author, committer }
}
Object.defineProperty(binding.Commit.prototype, 'author', { configurable: true, enumerable: false, get() { return people(this).author } })
Object.defineProperty(binding.Commit.prototype, 'committer', { configurable: true, enumerable: false, get() { return people(this).committer } })
{
  const proto = binding.Commit.prototype
  const nativeOid = Object.getOwnPropertyDescriptor(proto, 'oid').get
  const nativeSummary = Object.getOwnPropertyDescriptor(proto, 'summary').get
  memoize(proto, 'oid', function oid() {
    const e = BATCH.get(this)
    return e ? e[0].oids.slice(e[1] * 40, e[1] * 40 + 40) : nativeOid.call(this)
  })
  memoize(proto, 'summary', function summary() {
    const e = BATCH.get(this)
    if (e && e[0].summariesRaw !== '') return (e[0].summaries ??= e[0].summariesRaw.split('\0'))[e[1]]
    return nativeSummary.call(this)
  })
}
// Arrays (parentIds, entries) are made anew on every read: callers may sort or change them.
for (const f of ['treeId', 'message', 'encoding', 'gpgSignature']) memoize(binding.Commit.prototype, f)
for (const f of ['oid']) memoize(binding.Tree.prototype, f)
for (const f of ['oid', 'size', 'isBinary']) memoize(binding.Blob.prototype, f)
for (const f of ['oid', 'targetId', 'targetType', 'name', 'tagger', 'message']) memoize(binding.Tag.prototype, f)

// --- history ------------------------------------------------------------------

const FIRST_BATCH = 64
const MAX_BATCH = 4096

function abortError() {
  const e = new GitError('the operation was aborted')
  e.code = 'ERR_ABORTED'
  return e
}

/**
 * Walk history: commits come from a worker in batches (64 first, doubling up
 * to 4096), each batch one crossing with its commits loaded. The next batch is
 * requested as soon as one arrives, so the worker walks and loads while JS
 * consumes; only one request is ever outstanding, so batches stay in order.
 */
binding.Repository.prototype.log = function log(options = {}) {
  const { signal } = options ?? {}
  const walk = this.__log(options)
  let buffer = []
  let at = 0
  let size = FIRST_BATCH
  let ended = false // the walk has delivered its last batch
  let done = false // the iterator is finished
  let pending = null // the request for the next batch
  let queue = Promise.resolve()
  let inFlight = 0
  const onAbort = () => walk.abort()
  signal?.addEventListener?.('abort', onAbort, { once: true })
  const finish = () => {
    done = true
    buffer = []
    signal?.removeEventListener?.('abort', onAbort)
  }
  const request = () => {
    const n = size
    size = Math.min(size * 2, MAX_BATCH)
    pending = walk.next(n).then((raw) => ({ batch: prefill(raw), n }))
    // A rejection is handled when awaited; don't report it as unhandled meanwhile.
    pending.catch(() => {})
  }
  const step = async () => {
    if (done) return { value: undefined, done: true }
    if (signal?.aborted) {
      finish()
      throw abortError()
    }
    if (at < buffer.length) return { value: buffer[at++], done: false }
    if (ended) {
      finish()
      return { value: undefined, done: true }
    }
    if (!pending) request()
    let got
    try {
      got = await pending
    } catch (e) {
      finish()
      throw signal?.aborted ? abortError() : e
    }
    pending = null
    if (signal?.aborted) {
      finish()
      throw abortError()
    }
    if (got.batch.length < got.n) ended = true
    else request()
    buffer = got.batch
    at = 0
    if (at < buffer.length) return { value: buffer[at++], done: false }
    finish()
    return { value: undefined, done: true }
  }
  return {
    // Calls are queued, so overlapping next() calls still get commits in order;
    // while a batch lasts and nothing is queued, a commit is handed out at once.
    next() {
      if (inFlight === 0 && at < buffer.length && !done && !signal?.aborted) {
        return Promise.resolve({ value: buffer[at++], done: false })
      }
      inFlight++
      const r = queue.then(step).finally(() => inFlight--)
      queue = r.catch(() => {})
      return r
    },
    return() {
      finish()
      walk.abort()
      return Promise.resolve({ value: undefined, done: true })
    },
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

/** `log`, synchronously: an iterator pulling batches as it goes. */
binding.Repository.prototype.logSync = function* logSync(options = {}) {
  const { signal } = options ?? {}
  const walk = this.__log(options)
  let size = FIRST_BATCH
  for (;;) {
    if (signal?.aborted) throw abortError()
    const batch = prefill(walk.nextSync(size))
    yield* batch
    if (batch.length < size) return
    size = Math.min(size * 2, MAX_BATCH)
  }
}

const TYPE_OF_MODE = (mode) => (mode === 0o40000 ? 'tree' : mode === 0o160000 ? 'commit' : 'blob')

/**
 * Tree entries from the compact form: paths, oids and names each joined by NUL
 * (split natively, which is quick even before the JIT warms up), modes as u32 LE.
 */
function buildEntries([paths, oids, modeBytes, n, names]) {
  const modes = new Uint32Array(modeBytes.buffer, modeBytes.byteOffset, n)
  const out = new Array(n)
  if (n === 0) return out
  const p = paths.split('\0')
  const o = oids.split('\0')
  const nm = names.split('\0')
  for (let i = 0; i < n; i++) {
    const mode = modes[i]
    out[i] = { name: nm[i], path: p[i], mode, type: TYPE_OF_MODE(mode), oid: o[i] }
  }
  return out
}

binding.Repository.prototype.listFiles = function listFiles(rev, options) {
  return this.__listFiles(rev, options).then(buildEntries)
}

binding.Repository.prototype.listFilesSync = function listFilesSync(rev, options) {
  return buildEntries(this.__listFilesSync(rev, options))
}

module.exports = { ...binding, GitError }
delete module.exports.__setErrorClass
