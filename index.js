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

/**
 * Objects never change, so a field is computed once per instance: the first read
 * stores it as an own (non-enumerable) property that later reads find directly.
 */
function memoize(proto, name) {
  const get = Object.getOwnPropertyDescriptor(proto, name)?.get
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

for (const f of ['oid']) memoize(binding.Tree.prototype, f)
for (const f of ['oid', 'size', 'isBinary']) memoize(binding.Blob.prototype, f)
for (const f of ['oid', 'targetId', 'targetType', 'name', 'tagger', 'message']) memoize(binding.Tag.prototype, f)

// --- commits ------------------------------------------------------------------

/**
 * The commits of one batch as the addon sends them (`CommitBatch` in
 * src/js/objects.rs): a run of 40-hex oids; the
 * summaries and the people (author name and email, committer name and email),
 * each as one string; the raw objects as one Buffer; and 12 numbers per
 * commit: where its parents and raw bytes end, where its message starts in its
 * raw object, where its summary, author name, author email, committer name and
 * committer email end (each starts where the one before it ended: the previous
 * commit's for parents, raw and summary, the previous field's for the people),
 * then author seconds and offset, committer seconds and offset. Then `ids`,
 * the encoding and gpgsig headers: each an array with an entry per commit, or
 * null when no commit of the batch has one. A commit's `ids` entry is its tree
 * and parent ids in hex, back to back; without one (the usual shape) they are
 * in its raw bytes, the tree id at 5..45 and parent p at 53 + 48p. Commits keep
 * their batch and cut their fields from it when first read.
 */
class CommitData {
  constructor([oids, ids, summaries, people, raw, nums, encodings, gpgsigs]) {
    this.oids = oids
    this.ids = ids
    this.summaries = summaries
    this.people = people
    this.raw = raw
    this.nums = nums
    this.encodings = encodings
    this.gpgsigs = gpgsigs
  }
}

const NUMS = 12

/** Where field `k` (0: parents, 1: raw, 3: summary) of commit `i` starts. */
const startOf = (nums, i, k) => (i === 0 ? 0 : nums[(i - 1) * NUMS + k])

/** The author (`who` 0) or committer (1) of commit `i`; frozen, as one object serves every read. */
function signatureOf(d, i, who) {
  const nums = d.nums
  const at = i * NUMS
  const nameStart = who === 0 ? (i === 0 ? 0 : nums[at - NUMS + 7]) : nums[at + 5]
  const nameEnd = nums[at + 4 + who * 2]
  const seconds = nums[at + 8 + who * 2]
  return Object.freeze({
    name: d.people.slice(nameStart, nameEnd),
    email: d.people.slice(nameEnd, nums[at + 5 + who * 2]),
    seconds,
    offset: nums[at + 9 + who * 2],
    date: new Date(seconds * 1000),
  })
}

const inspect = Symbol.for('nodejs.util.inspect.custom')

/**
 * A commit. One instance per oid per repository while it is reachable (the
 * identity map holds it weakly). Made by the addon in batches (see CommitData);
 * fields are read-only and computed once.
 */
class Commit {
  #source
  #d
  #i
  #oid
  #author
  #committer
  #summary
  #message
  constructor(source, d, i) {
    this.#source = source
    this.#d = d
    this.#i = i
  }
  /** Always `'commit'`. */
  get type() {
    return 'commit'
  }
  /** The commit's id. */
  get oid() {
    return (this.#oid ??= this.#d.oids.slice(this.#i * 40, this.#i * 40 + 40))
  }
  /** The id of its tree. */
  get treeId() {
    const d = this.#d
    const ids = d.ids?.[this.#i]
    if (ids != null) return ids.slice(0, 40)
    const at = startOf(d.nums, this.#i, 1)
    return d.raw.toString('latin1', at + 5, at + 45)
  }
  /** The ids of its parents, in order (a new array on every read). */
  get parentIds() {
    const d = this.#d
    const i = this.#i
    const end = d.nums[i * NUMS]
    const out = []
    const ids = d.ids?.[i]
    const at = startOf(d.nums, i, 1)
    for (let p = 0, n = end - startOf(d.nums, i, 0); p < n; p++) {
      out.push(ids != null ? ids.slice(40 + p * 40, 80 + p * 40) : d.raw.toString('latin1', at + 53 + p * 48, at + 93 + p * 48))
    }
    return out
  }
  /** The author. */
  get author() {
    return (this.#author ??= signatureOf(this.#d, this.#i, 0))
  }
  /** The committer. */
  get committer() {
    return (this.#committer ??= signatureOf(this.#d, this.#i, 1))
  }
  /** The full message, exactly as stored (decoded as UTF-8). */
  get message() {
    if (this.#message === undefined) {
      // Decoded from the raw bytes as the addon would (invalid UTF-8 replaced, WHATWG's way, as Rust's lossy decoding).
      const d = this.#d
      const at = this.#i * NUMS
      this.#message = d.raw.toString('utf8', startOf(d.nums, this.#i, 1) + d.nums[at + 2], d.nums[at + 1])
    }
    return this.#message
  }
  /** The first paragraph of the message on one line, as `git log --oneline` shows it. */
  get summary() {
    if (this.#summary === undefined) {
      const d = this.#d
      this.#summary = d.summaries.slice(startOf(d.nums, this.#i, 3), d.nums[this.#i * NUMS + 3])
    }
    return this.#summary
  }
  /** The `encoding` header, if any. */
  get encoding() {
    return this.#d.encodings?.[this.#i] ?? null
  }
  /** The `gpgsig` header (continuation lines joined), if any. */
  get gpgSignature() {
    return this.#d.gpgsigs?.[this.#i] ?? null
  }
  /** The raw object content, byte for byte (a copy). */
  raw() {
    const d = this.#d
    return Buffer.from(d.raw.subarray(startOf(d.nums, this.#i, 1), d.nums[this.#i * NUMS + 1]))
  }
  /** Read the commit's tree. */
  getTree() {
    return this.#source.read(this.treeId, 'tree')
  }
  /** Read the commit's tree, synchronously. */
  getTreeSync() {
    return this.#source.readSync(this.treeId, 'tree')
  }
  /** Read the parent commits, in order. */
  getParents() {
    return this.#source.readMany(this.parentIds, 'commit')
  }
  /** Read the parent commits, synchronously. */
  getParentsSync() {
    return this.parentIds.map((p) => this.#source.readSync(p, 'commit'))
  }
  [inspect](depth, options, inspectFn) {
    const fields = { oid: this.oid, summary: this.summary }
    return `Commit ${(inspectFn ?? require('node:util').inspect)(fields, options)}`
  }
}
Object.defineProperty(Commit.prototype, Symbol.toStringTag, { value: 'Commit', configurable: true })

binding.__setCommitMaker(function makeCommits(source, raw, which) {
  const d = new CommitData(raw)
  if (which === null) {
    const n = d.nums.length / NUMS
    const out = new Array(n)
    for (let i = 0; i < n; i++) out[i] = new Commit(source, d, i)
    return out
  }
  return which.map((i) => new Commit(source, d, i))
})

// --- history ------------------------------------------------------------------

const FIRST_BATCH = 64
const MAX_BATCH = 1024

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
    pending = walk.next(n).then((batch) => ({ batch, n }))
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

/**
 * `log`, synchronously: an iterator pulling batches as it goes. While JS works
 * through one batch workers read the next ones (see `nextSync`); leaving the
 * loop early (`return()`) stops them. A plain iterator rather than a
 * generator: a commit costs one step, not a `yield*` through two iterators.
 */
class LogSyncIterator {
  #repo
  #options
  #walk = null // made on the first step, as a generator would
  #batch = []
  #at = 0
  #size = FIRST_BATCH
  #done = false
  constructor(repo, options) {
    this.#repo = repo
    this.#options = options
  }
  [Symbol.iterator]() {
    return this
  }
  next() {
    if (this.#at < this.#batch.length) return { value: this.#batch[this.#at++], done: false }
    if (this.#done) return { value: undefined, done: true }
    try {
      this.#walk ??= this.#repo.__log(this.#options)
      if (this.#options?.signal?.aborted) throw abortError()
      // Batches read ahead come first; an empty one ends the walk.
      const next = Math.min(this.#size * 2, MAX_BATCH)
      const batch = this.#walk.nextSync(this.#size, next)
      this.#size = next
      if (batch.length === 0) return this.return()
      this.#batch = batch
      this.#at = 1
      return { value: batch[0], done: false }
    } catch (e) {
      this.return()
      throw e
    }
  }
  return(value) {
    if (!this.#done) {
      this.#done = true
      this.#batch = []
      this.#walk?.abort()
    }
    return { value, done: true }
  }
}

binding.Repository.prototype.logSync = function logSync(options = {}) {
  return new LogSyncIterator(this, options)
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

// --- clone, fetch, openRemote -----------------------------------------------------

function typeError(message) {
  const e = new TypeError(message)
  e.code = 'ERR_INVALID_ARG_TYPE'
  return e
}

function optString(o, key) {
  const v = o[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw typeError(`options.${key} must be a string`)
  return v
}

function optCount(o, key) {
  const v = o[key]
  if (v === undefined || v === null) return null
  if (!Number.isInteger(v) || v < 1 || v > 0x7fffffff) throw typeError(`options.${key} must be a positive integer`)
  return v
}

function optFunction(o, key) {
  const v = o[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'function') throw typeError(`options.${key} must be a function`)
  return v
}

/** Run `start(token)` (a native call returning a promise) with `signal` tied to the token. */
function withSignal(signal, start) {
  if (signal?.aborted) return Promise.reject(abortError())
  const token = new binding.__AbortToken()
  const onAbort = () => token.abort()
  signal?.addEventListener?.('abort', onAbort, { once: true })
  const p = start(token)
  return p.finally(() => signal?.removeEventListener?.('abort', onAbort))
}

function cloneArgs(url, path, options) {
  if (typeof url !== 'string') throw typeError('url must be a string')
  if (typeof path !== 'string') throw typeError('path must be a string')
  const o = options ?? {}
  return [url, path, o.bare === true, optString(o, 'filter'), optCount(o, 'depth'), optString(o, 'branch'), optFunction(o, 'onProgress')]
}

const nativeClone = binding.Repository.__clone
const nativeCloneSync = binding.Repository.__cloneSync
const nativeOpenRemote = binding.Repository.__openRemote

/** Clone `url` into `path` (see CloneOptions); resolves to the new repository. */
binding.Repository.clone = function clone(url, path, options) {
  let args
  try {
    args = cloneArgs(url, path, options)
  } catch (e) {
    return Promise.reject(e)
  }
  return withSignal(options?.signal, (token) => nativeClone(...args, token))
}

/** `clone`, synchronously (progress is reported during the call). */
binding.Repository.cloneSync = function cloneSync(url, path, options) {
  return nativeCloneSync(...cloneArgs(url, path, options))
}

function fetchArgs(remote, options) {
  if (typeof remote !== 'string') throw typeError('remoteOrUrl must be a string')
  const o = options ?? {}
  const refspecs = o.refspecs ?? []
  if (!Array.isArray(refspecs) || refspecs.some((r) => typeof r !== 'string')) throw typeError('options.refspecs must be an array of strings')
  return [remote, refspecs, optString(o, 'filter'), optCount(o, 'depth'), o.prune === true, optFunction(o, 'onProgress')]
}

/** Fetch from a configured remote or a URL (see FetchOptions). */
binding.Repository.prototype.fetch = function fetch(remoteOrUrl, options) {
  let args
  try {
    args = fetchArgs(remoteOrUrl, options)
  } catch (e) {
    return Promise.reject(e)
  }
  return withSignal(options?.signal, (token) => this.__fetch(...args, token))
}

/** `fetch`, synchronously. */
binding.Repository.prototype.fetchSync = function fetchSync(remoteOrUrl, options) {
  return this.__fetchSync(...fetchArgs(remoteOrUrl, options))
}

/** A memory-only repository over `url`: refs listed now, objects fetched when read (see RemoteOptions). */
binding.Repository.openRemote = function openRemote(url, options) {
  const o = options ?? {}
  try {
    if (typeof url !== 'string') throw typeError('url must be a string')
    const max = o.maxCacheBytes
    if (max !== undefined && max !== null && !(typeof max === 'number' && max >= 0)) throw typeError('options.maxCacheBytes must be a non-negative number')
    const policy = o.onOverfull ?? 'log'
    if (policy !== 'log' && policy !== 'error' && typeof policy !== 'function') throw typeError("options.onOverfull must be 'log', 'error' or a function")
    let repo = null
    // The callback gets the repository's stats, read when it runs (on this thread).
    const callback = typeof policy === 'function' ? () => repo && policy(repo.stats()) : null
    return nativeOpenRemote(url, optString(o, 'filter'), max ?? null, typeof policy === 'string' ? policy : 'callback', callback).then((r) => {
      repo = r
      return r
    })
  } catch (e) {
    return Promise.reject(e)
  }
}

module.exports = { ...binding, Commit, GitError }
delete module.exports.__setErrorClass
delete module.exports.__setCommitMaker
delete module.exports.__Source
delete module.exports.__AbortToken
delete module.exports.AbortToken
delete module.exports.Source
