// One measurement in a fresh Node process, so that peak RSS belongs to one
// contender only. Started by benchmark/run.mjs; not meant to be run by hand.
//
//   node benchmark/child.mjs '<json spec>'
//
// spec: { contender: 'ferrogit' | 'es-git' | 'isomorphic-git' | 'baseline',
//         task: 'all' | 'concurrent', repo: <git dir>, oidsFile: <one oid per line> }
//   or, for the refs suite (see refsRunners below):
//       { contender, task: 'refs-list' | 'refs-list-async' | 'refs-resolve' | 'refs-update',
//         repo: <git dir>, namesFile?: <one ref name per line, or `name new old` for updates> }
//   or, for the history suite (see historyRunners below):
//       { contender, task: 'hist-log' | 'hist-log-async' | 'hist-ls' | 'hist-ls-async' | 'hist-read' | 'hist-read-async',
//         repo: <git dir>, expectFile?: <git rev-list output>, depth?: <isomorphic-git log sample>,
//         pairsFile?: <JSON [[commit, path], ...]> }
//
// Prints one line `RESULT {json}` on stdout: { ms, openMs, count, bytes,
// blobBytes, maxRssKiB, ... }. `ms` is the timed region (see run.mjs / BENCHMARKS.md
// for what each contender's timed region covers). Everything is loaded and the
// oid list is read before the clock starts.
import { readFileSync } from 'node:fs'
import fs from 'node:fs'
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)
const spec = JSON.parse(process.argv[2])
const oids = spec.oidsFile ? readFileSync(spec.oidsFile, 'utf8').split('\n').filter(Boolean) : []
const lines = spec.namesFile ? readFileSync(spec.namesFile, 'utf8').split('\n').filter(Boolean) : []

function done(result) {
  const maxRssKiB = process.resourceUsage().maxRSS
  process.stdout.write(`RESULT ${JSON.stringify({ ...result, count: result.count ?? oids.length, maxRssKiB })}\n`)
}

/** Oids per readObjects call when reading everything: a program reading half a
 * gigabyte of objects streams them in batches (as git cat-file streams its
 * output) rather than holding every object at once. */
const BATCH = Number(process.env.FERROGIT_BENCH_BATCH ?? 10_000)

async function ferrogit() {
  const { Repository } = ferrogitApi()
  if (spec.task === 'all') {
    // Timed: open + readObjects in batches of BATCH oids (one crossing each) +
    // touching every result the way es-git's are touched: its type, and a blob's
    // size. Commits, trees and tags are read, inflated and parsed natively (as
    // libgit2's git_object_lookup does for es-git); nothing is copied out.
    const t0 = performance.now()
    const repo = Repository.openSync(spec.repo)
    const t1 = performance.now()
    let blobBytes = 0
    let n = 0
    for (let i = 0; i < oids.length; i += BATCH) {
      const batch = oids.slice(i, i + BATCH)
      const objs = await repo.readObjects(batch)
      for (let j = 0; j < objs.length; j++) {
        const o = objs[j]
        if (o.oid !== batch[j]) throw new Error(`object ${i + j}: asked ${batch[j]}, got ${o.oid}`)
        if (o.type === 'blob') blobBytes += o.size
        n++
      }
    }
    const t2 = performance.now()
    if (n !== oids.length) throw new Error(`read ${n} of ${oids.length} objects`)
    return { ms: t2 - t0, openMs: t1 - t0, bytes: null, blobBytes, batch: BATCH }
  }
  // concurrent: open (untimed), then N concurrent readObject promises.
  const t0 = performance.now()
  const repo = Repository.openSync(spec.repo)
  const t1 = performance.now()
  const objs = await Promise.all(oids.map((o) => repo.readObject(o)))
  let blobBytes = 0
  for (const o of objs) blobBytes += o.size
  const t2 = performance.now()
  check(objs.map((o) => o.oid))
  return { ms: t2 - t1, openMs: t1 - t0, bytes: blobBytes, blobBytes }
}

async function esGit() {
  const { openRepository } = require('es-git')
  // es-git (libgit2) has no batch or Promise object read: Repository.findObject(oid)
  // is synchronous (git_object_lookup, which reads, inflates and parses the whole
  // object). Blobs are touched through peelToBlob().size() (no copy, like ferrogit's
  // Blob.size); es-git exposes no raw bytes for commits/trees/tags, so for those the
  // lookup plus type() is the whole read (less work than ferrogit's raw() copy).
  const readOne = (repo, oid) => {
    const o = repo.findObject(oid)
    if (o === null) throw new Error(`es-git: missing ${oid}`)
    const type = o.type()
    return type === 'Blob' ? Number(o.peelToBlob().size()) : -1
  }
  if (spec.task === 'all') {
    const t0 = performance.now()
    const repo = await openRepository(spec.repo)
    const t1 = performance.now()
    let blobBytes = 0
    for (const oid of oids) {
      const n = readOne(repo, oid)
      if (n >= 0) blobBytes += n
    }
    const t2 = performance.now()
    return { ms: t2 - t0, openMs: t1 - t0, bytes: null, blobBytes }
  }
  const t0 = performance.now()
  const repo = await openRepository(spec.repo)
  const t1 = performance.now()
  // Closest to a Promise API: each read wrapped in an async function. They run
  // one after another on the main thread (findObject blocks).
  const sizes = await Promise.all(oids.map(async (oid) => readOne(repo, oid)))
  const t2 = performance.now()
  const blobBytes = sizes.reduce((a, b) => a + b, 0)
  return { ms: t2 - t1, openMs: t1 - t0, bytes: blobBytes, blobBytes }
}

async function isoGit() {
  const git = (await import('isomorphic-git')).default
  // A shared `cache` object so pack indexes and packfiles are loaded once
  // (isomorphic-git's documented way to speed up repeated calls).
  const cache = {}
  const read = (oid) => git.readObject({ fs, gitdir: spec.repo, oid, format: 'content', cache })
  if (spec.task === 'all') {
    // Sequential reads; the first one (which loads the pack index and packfile)
    // is timed separately as `firstMs` so a sample can be extrapolated.
    let bytes = 0
    let blobBytes = 0
    const t0 = performance.now()
    let tFirst = t0
    for (let i = 0; i < oids.length; i++) {
      const r = await read(oids[i])
      const n = r.object.length
      bytes += n
      if (r.type === 'blob') blobBytes += n
      if (i === 0) tFirst = performance.now()
    }
    const t2 = performance.now()
    return { ms: t2 - t0, openMs: 0, firstMs: tFirst - t0, bytes, blobBytes }
  }
  const t1 = performance.now()
  const rs = await Promise.all(oids.map(read))
  let blobBytes = 0
  for (const r of rs) blobBytes += r.object.length
  const t2 = performance.now()
  return { ms: t2 - t1, openMs: 0, bytes: blobBytes, blobBytes }
}

function check(got) {
  if (got.length !== oids.length) throw new Error(`got ${got.length} objects for ${oids.length} oids`)
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== oids[i]) throw new Error(`object ${i}: asked ${oids[i]}, got ${got[i]}`)
  }
}

const runners = {
  ferrogit,
  'es-git': esGit,
  'isomorphic-git': isoGit,
  // Node itself plus the oid list in memory, nothing read: the floor under every
  // in-process contender's peak RSS.
  baseline: async () => ({ ms: 0, openMs: 0, bytes: null, blobBytes: null }),
}

// ---------------------------------------------------------------- refs suite
// Every refs task times from opening the repository (module loading and reading
// the names file are not timed) to the end of the work, like git timed from spawn
// to exit. A digest of what was listed or resolved is computed after the clock
// stops, so run.mjs can check it against git's answer.
const sha1 = (xs) => createHash('sha1').update(xs.join('\n')).digest('hex')

/** `name new old` lines of the update task. */
const updates = () => lines.map((l) => {
  const [name, next, old] = l.split(' ')
  return { name, next, old }
})

/** Sort by UTF-16 code units, as git sorts ref names (for ASCII names). */
const byCodeUnits = (a, b) => (a < b ? -1 : a > b ? 1 : 0)

/** Inside the timed region: read every ferrogit ref's name, and a direct ref's oid. */
function touchRefs(refs) {
  let chars = 0
  let direct = 0
  for (const r of refs) {
    chars += r.name.length
    if (r.kind === 'direct') { chars += r.oid.length; direct++ }
  }
  return { chars, direct }
}

/** After the clock: what run.mjs checks a listing by. `pairs` are `oid name` of direct refs. */
const listResult = (ms, names, pairs, extra = {}) => ({ ms, count: names.length, direct: pairs.length, namesSha1: sha1(names), pairsSha1: sha1(pairs), ...extra })

/** A ferrogit listing (sorted by name already). */
const ferrogitListResult = (ms, refs, touched) =>
  listResult(ms, refs.map((r) => r.name), refs.filter((r) => r.kind === 'direct').map((r) => `${r.oid} ${r.name}`), touched)

/** After the clock: resolved oids in name order. */
const resolveResult = (ms, oids, extra = {}) => ({ ms, count: oids.length, oidsSha1: sha1(oids), ...extra })

// run.mjs points FERROGIT_BENCH_MODULE at a copy of index.js + binding.js + the addon taken when the run
// started, so that a rebuild in the project during a run does not mix builds.
const ferrogitApi = () => require(process.env.FERROGIT_BENCH_MODULE ?? '../index.js')
const esGitApi = () => require('es-git')
const isoGitApi = async () => (await import('isomorphic-git')).default

const refsRunners = {
  ferrogit: {
    // listSync() / await list(), touching every ref's name and oid (a symbolic ref's name only).
    async 'refs-list'() {
      const { Repository } = ferrogitApi()
      const t0 = performance.now()
      const repo = Repository.openSync(spec.repo)
      const refs = repo.refs.listSync()
      const touched = touchRefs(refs)
      return ferrogitListResult(performance.now() - t0, refs, touched)
    },
    async 'refs-list-async'() {
      const { Repository } = ferrogitApi()
      const t0 = performance.now()
      const repo = await Repository.open(spec.repo)
      const refs = await repo.refs.list()
      const touched = touchRefs(refs)
      return ferrogitListResult(performance.now() - t0, refs, touched)
    },
    async 'refs-resolve'() {
      const { Repository } = ferrogitApi()
      const t0 = performance.now()
      const repo = Repository.openSync(spec.repo)
      const out = new Array(lines.length)
      for (let i = 0; i < lines.length; i++) out[i] = repo.refs.resolveSync(lines[i]).oid
      return resolveResult(performance.now() - t0, out)
    },
    // One updateSync per ref: each is its own transaction (lock, check expectedOld,
    // write, reflog, rename).
    async 'refs-update'() {
      const { Repository } = ferrogitApi()
      const u = updates()
      const t0 = performance.now()
      const repo = Repository.openSync(spec.repo)
      for (const { name, next, old } of u) repo.refs.updateSync(name, next, { expectedOld: old })
      return { ms: performance.now() - t0, count: u.length }
    },
  },
  'es-git': {
    // es-git 0.6.0 has no generic reference iterator: branches() (local + remote,
    // names only) plus findReference(full name).target() for each branch's oid,
    // and tagForeach (oid + name) for refs/tags/*.
    async 'refs-list'() {
      const { openRepository } = esGitApi()
      const t0 = performance.now()
      const repo = await openRepository(spec.repo)
      const names = []
      const pairs = []
      for (const b of repo.branches()) {
        const full = (b.type === 'Local' ? 'refs/heads/' : 'refs/remotes/') + b.name
        const oid = repo.findReference(full)?.target()
        names.push(full)
        if (oid) pairs.push(`${oid} ${full}`)
      }
      repo.tagForeach((oid, name) => {
        names.push(name)
        pairs.push(`${oid} ${name}`)
        return true
      })
      const ms = performance.now() - t0
      pairs.sort((a, b) => byCodeUnits(a.slice(41), b.slice(41)))
      return listResult(ms, [...names].sort(byCodeUnits), pairs)
    },
    async 'refs-resolve'() {
      const { openRepository } = esGitApi()
      const t0 = performance.now()
      const repo = await openRepository(spec.repo)
      const out = new Array(lines.length)
      for (let i = 0; i < lines.length; i++) out[i] = repo.getReference(lines[i]).resolve().target()
      return resolveResult(performance.now() - t0, out)
    },
    // No reference-update API with an expected old value; the closest single-ref
    // write is createBranch(shortName, commit, { force: true }) (libgit2
    // git_branch_create: lock, write, reflog). The two target commits are looked
    // up once (inside the timed region, like the open).
    async 'refs-update'() {
      const { openRepository } = esGitApi()
      const u = updates()
      const t0 = performance.now()
      const repo = await openRepository(spec.repo)
      const commits = new Map()
      for (const { next } of u) if (!commits.has(next)) commits.set(next, repo.getCommit(next))
      for (const { name, next } of u) {
        if (!name.startsWith('refs/heads/')) throw new Error(`es-git update: ${name} is not a branch`)
        repo.createBranch(name.slice('refs/heads/'.length), commits.get(next), { force: true })
      }
      return { ms: performance.now() - t0, count: u.length }
    },
  },
  'isomorphic-git': {
    // listRefs per top-level namespace (names only: an oid per ref would take one
    // resolveRef each, which re-reads packed-refs; see refs-resolve).
    async 'refs-list'() {
      const git = await isoGitApi()
      const t0 = performance.now()
      const names = []
      for (const p of ['refs/heads', 'refs/tags', 'refs/remotes']) {
        for (const n of await git.listRefs({ fs, gitdir: spec.repo, filepath: p })) names.push(`${p}/${n}`)
      }
      const ms = performance.now() - t0
      // listRefs also returns `<tag>^{}` for packed-refs' peeled lines (not refs)
      const peeled = names.filter((n) => n.endsWith('^{}')).length
      const distinct = [...new Set(names.filter((n) => !n.endsWith('^{}')))].sort(byCodeUnits)
      return { ms, count: distinct.length, listed: names.length, peeled, namesSha1: sha1(distinct) }
    },
    // resolveRef in turn; the first call is timed separately (firstMs) so that a
    // sample can be extrapolated.
    async 'refs-resolve'() {
      const git = await isoGitApi()
      const out = new Array(lines.length)
      const t0 = performance.now()
      let tFirst = t0
      for (let i = 0; i < lines.length; i++) {
        out[i] = await git.resolveRef({ fs, gitdir: spec.repo, ref: lines[i] })
        if (i === 0) tFirst = performance.now()
      }
      return resolveResult(performance.now() - t0, out, { firstMs: tFirst - t0 })
    },
    // writeRef({ force: true }) per ref: writes the loose file; no expected-old
    // check and no reflog (isomorphic-git has neither).
    async 'refs-update'() {
      const git = await isoGitApi()
      const u = updates()
      const t0 = performance.now()
      for (const { name, next } of u) await git.writeRef({ fs, gitdir: spec.repo, ref: name, value: next, force: true })
      return { ms: performance.now() - t0, count: u.length }
    },
  },
}

// ---------------------------------------------------------------- history suite
// Three tasks on one repository, every one timed from opening the repository
// (isomorphic-git has no open: from its first call) to the end of the work:
//   hist-log   walk all of HEAD's history in git's default order, reading each
//              commit's oid, author name, author time and summary
//   hist-ls    every file of HEAD's tree (git ls-tree -r), path, oid, mode, type
//   hist-read  the blob at (commit, path) for each pair of spec.pairsFile (JSON
//              [[commit, path], ...]), touching its size
// What was read is kept in plain arrays inside the timed region; digests (and,
// with spec.expectFile, where the oid sequence first departs from git's) are
// computed after the clock stops.
const pairs = spec.pairsFile ? JSON.parse(readFileSync(spec.pairsFile, 'utf8')) : []

/** The fields a history walk read, one array each, in walk order. */
class Walked {
  constructor() { this.oids = []; this.names = []; this.seconds = []; this.summaries = [] }
  push(oid, name, seconds, summary) {
    this.oids.push(oid)
    this.names.push(name)
    this.seconds.push(seconds)
    this.summaries.push(summary)
  }
  /** Digests comparable with `git log --format=%H%x00%an%x00%at%x00%s` (fields) and `git rev-list` (oids). */
  result(ms, extra = {}) {
    const lines = this.oids.map((o, i) => `${o}\0${this.names[i]}\0${this.seconds[i]}\0${this.summaries[i]}`)
    return { ms, count: this.oids.length, oidsSha1: sha1(this.oids), fieldsSha1: sha1(lines), firstDiff: firstDiff(this.oids), ...extra }
  }
}

/** Index of the first oid that differs from spec.expectFile's (git rev-list), or -1; null without a file. */
function firstDiff(got) {
  if (!spec.expectFile) return null
  const want = readFileSync(spec.expectFile, 'utf8').split('\n').filter(Boolean)
  const n = spec.depth ?? want.length
  for (let i = 0; i < Math.max(got.length, n); i++) if (got[i] !== want[i]) return i
  return -1
}

/** A file listing as `git ls-tree -r` prints it: `mode type oid<TAB>path` per entry (mode in octal). */
function listed(ms, modes, types, oids, paths) {
  const lines = paths.map((p, i) => `${(typeof modes[i] === 'number' ? modes[i].toString(8) : modes[i]).padStart(6, '0')} ${types[i]} ${oids[i]}\t${p}`)
  return { ms, count: paths.length, entriesSha1: sha1(lines) }
}

/** Blob reads: the oids in pair order and the bytes they hold. */
const readResult = (ms, oids, bytes, extra = {}) => ({ ms, count: oids.length, oidsSha1: sha1(oids), bytes, ...extra })

/** git's %s: the first paragraph (leading blank lines skipped), its lines right-trimmed and joined by spaces. */
function summaryOf(message) {
  const lines = message.split('\n')
  let i = 0
  while (i < lines.length && !lines[i].trim()) i++
  const out = []
  for (; i < lines.length && lines[i].trim(); i++) out.push(lines[i].trimEnd())
  return out.join(' ')
}

const ferrogitHistory = {
  async 'hist-log'() {
    const { Repository } = ferrogitApi()
    const w = new Walked()
    const t0 = performance.now()
    const repo = Repository.openSync(spec.repo)
    for (const c of repo.logSync()) {
      const a = c.author
      w.push(c.oid, a.name, a.seconds, c.summary)
    }
    return w.result(performance.now() - t0)
  },
  async 'hist-log-async'() {
    const { Repository } = ferrogitApi()
    const w = new Walked()
    const t0 = performance.now()
    const repo = await Repository.open(spec.repo)
    for await (const c of repo.log()) {
      const a = c.author
      w.push(c.oid, a.name, a.seconds, c.summary)
    }
    return w.result(performance.now() - t0)
  },
  async 'hist-ls'() {
    const { Repository } = ferrogitApi()
    const t0 = performance.now()
    const repo = Repository.openSync(spec.repo)
    const entries = repo.listFilesSync('HEAD')
    const paths = new Array(entries.length)
    const oids = new Array(entries.length)
    for (let i = 0; i < entries.length; i++) { paths[i] = entries[i].path; oids[i] = entries[i].oid }
    const ms = performance.now() - t0
    return listed(ms, entries.map((e) => e.mode), entries.map((e) => e.type), oids, paths)
  },
  async 'hist-ls-async'() {
    const { Repository } = ferrogitApi()
    const t0 = performance.now()
    const repo = await Repository.open(spec.repo)
    const entries = await repo.listFiles('HEAD')
    const paths = new Array(entries.length)
    const oids = new Array(entries.length)
    for (let i = 0; i < entries.length; i++) { paths[i] = entries[i].path; oids[i] = entries[i].oid }
    const ms = performance.now() - t0
    return listed(ms, entries.map((e) => e.mode), entries.map((e) => e.type), oids, paths)
  },
  async 'hist-read'() {
    const { Repository } = ferrogitApi()
    const oids = new Array(pairs.length)
    let bytes = 0
    const t0 = performance.now()
    const repo = Repository.openSync(spec.repo)
    for (let i = 0; i < pairs.length; i++) {
      const b = repo.readPathSync(pairs[i][0], pairs[i][1])
      oids[i] = b.oid
      bytes += b.size
    }
    return readResult(performance.now() - t0, oids, bytes)
  },
  // every read started at once, as a server handling concurrent requests would
  async 'hist-read-async'() {
    const { Repository } = ferrogitApi()
    let bytes = 0
    const t0 = performance.now()
    const repo = await Repository.open(spec.repo)
    const blobs = await Promise.all(pairs.map(([rev, path]) => repo.readPath(rev, path)))
    const oids = new Array(blobs.length)
    for (let i = 0; i < blobs.length; i++) { oids[i] = blobs[i].oid; bytes += blobs[i].size }
    return readResult(performance.now() - t0, oids, bytes)
  },
}

const esGitHistory = {
  // revwalk with libgit2's default sorting (git's own default order), then
  // getCommit per oid for its author and summary.
  async 'hist-log'() {
    const { openRepository } = esGitApi()
    const w = new Walked()
    const t0 = performance.now()
    const repo = await openRepository(spec.repo)
    const walk = repo.revwalk().pushHead()
    for (let oid = walk.next(); oid != null; oid = walk.next()) {
      const c = repo.getCommit(oid)
      const a = c.author()
      w.push(oid, a.name, a.timestamp, c.summary() ?? '')
    }
    return w.result(performance.now() - t0)
  },
  // es-git has no recursive listing with paths (Tree.walk's callback gets the
  // entry without its directory), so: HEAD's tree, then each subtree by
  // getTree(id), depth first in stored order, which is ls-tree -r's order.
  async 'hist-ls'() {
    const { openRepository } = esGitApi()
    const modes = []
    const types = []
    const oids = []
    const paths = []
    const t0 = performance.now()
    const repo = await openRepository(spec.repo)
    const walk = (tree, prefix) => {
      for (const e of tree.iter()) {
        const type = e.type()
        if (type === 'Tree') { walk(repo.getTree(e.id()), `${prefix}${e.name()}/`); continue }
        modes.push(e.filemode())
        types.push(type === 'Commit' ? 'commit' : 'blob')
        oids.push(e.id())
        paths.push(prefix + e.name())
      }
    }
    walk(repo.getCommit(repo.revparseSingle('HEAD')).tree(), '')
    return listed(performance.now() - t0, modes, types, oids, paths)
  },
  // getCommit(rev).tree().getPath(path) (libgit2 git_tree_entry_bypath), then the
  // entry's object as a blob.
  async 'hist-read'() {
    const { openRepository } = esGitApi()
    const oids = new Array(pairs.length)
    let bytes = 0
    const t0 = performance.now()
    const repo = await openRepository(spec.repo)
    for (let i = 0; i < pairs.length; i++) {
      const e = repo.getCommit(pairs[i][0]).tree().getPath(pairs[i][1])
      if (e === null) throw new Error(`es-git: no ${pairs[i][1]} in ${pairs[i][0]}`)
      oids[i] = e.id()
      bytes += Number(e.toObject(repo).peelToBlob().size())
    }
    return readResult(performance.now() - t0, oids, bytes)
  },
}

const isoGitHistory = {
  // git.log returns the whole history as an array (no iterator). With
  // spec.depth (a sample): a log of depth 1 first (loads the pack index and
  // packfile; firstMs), then one of spec.depth commits with the same cache, so
  // the whole history can be extrapolated as firstMs + per-commit time × count.
  async 'hist-log'() {
    const git = await isoGitApi()
    const cache = {}
    const w = new Walked()
    const t0 = performance.now()
    let tFirst = t0
    if (spec.depth != null) {
      await git.log({ fs, gitdir: spec.repo, ref: 'HEAD', depth: 1, cache })
      tFirst = performance.now()
    }
    const commits = await git.log({ fs, gitdir: spec.repo, ref: 'HEAD', depth: spec.depth ?? undefined, cache })
    for (const { oid, commit } of commits) w.push(oid, commit.author.name, commit.author.timestamp, summaryOf(commit.message))
    const ms = performance.now() - t0
    return w.result(ms, spec.depth != null ? { firstMs: tFirst - t0 } : {})
  },
  // readTree from HEAD's commit, each subtree in turn, depth first in stored
  // order (git.walk over TREE() is about as fast but visits in its own order).
  async 'hist-ls'() {
    const git = await isoGitApi()
    const cache = {}
    const modes = []
    const types = []
    const oids = []
    const paths = []
    const t0 = performance.now()
    const walk = async (oid, prefix) => {
      const { tree } = await git.readTree({ fs, gitdir: spec.repo, oid, cache })
      for (const e of tree) {
        if (e.type === 'tree') { await walk(e.oid, `${prefix}${e.path}/`); continue }
        modes.push(e.mode)
        types.push(e.type)
        oids.push(e.oid)
        paths.push(prefix + e.path)
      }
    }
    await walk(await git.resolveRef({ fs, gitdir: spec.repo, ref: 'HEAD' }), '')
    return listed(performance.now() - t0, modes, types, oids, paths)
  },
  // readBlob({ oid: commit, filepath }) per pair, awaited in turn; the first is
  // timed separately (firstMs) so that a sample can be extrapolated.
  async 'hist-read'() {
    const git = await isoGitApi()
    const cache = {}
    const oids = new Array(pairs.length)
    let bytes = 0
    const t0 = performance.now()
    let tFirst = t0
    for (let i = 0; i < pairs.length; i++) {
      const r = await git.readBlob({ fs, gitdir: spec.repo, oid: pairs[i][0], filepath: pairs[i][1], cache })
      oids[i] = r.oid
      bytes += r.blob.length
      if (i === 0) tFirst = performance.now()
    }
    return readResult(performance.now() - t0, oids, bytes, { firstMs: tFirst - t0 })
  },
}

const historyRunners = { ferrogit: ferrogitHistory, 'es-git': esGitHistory, 'isomorphic-git': isoGitHistory }

const run = spec.task.startsWith('refs-') ? refsRunners[spec.contender]?.[spec.task]
  : spec.task.startsWith('hist-') ? historyRunners[spec.contender]?.[spec.task]
    : runners[spec.contender]
if (!run) throw new Error(`unknown contender/task ${spec.contender}/${spec.task}`)
done(await run())
// Exit at once: es-git 0.6.0 was seen to segfault while tearing down after reading
// every object of medium (418k GitObjects); the measurement is complete by now.
process.exit(0)
