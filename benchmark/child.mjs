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
  const { Repository } = require('../index.js')
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

const refsRunners = {
  ferrogit: {
    // listSync() touching every ref's name and oid (a symbolic ref's name only).
    async 'refs-list'() {
      const { Repository } = require('../index.js')
      const t0 = performance.now()
      const repo = Repository.openSync(spec.repo)
      const refs = repo.refs.listSync()
      let chars = 0
      let direct = 0
      for (const r of refs) {
        chars += r.name.length
        if (r.kind === 'direct') { chars += r.oid.length; direct++ }
      }
      const ms = performance.now() - t0
      return { ms, count: refs.length, direct, chars, namesSha1: sha1(refs.map((r) => r.name)),
        pairsSha1: sha1(refs.filter((r) => r.kind === 'direct').map((r) => `${r.oid} ${r.name}`)) }
    },
    async 'refs-list-async'() {
      const { Repository } = require('../index.js')
      const t0 = performance.now()
      const repo = await Repository.open(spec.repo)
      const refs = await repo.refs.list()
      let chars = 0
      let direct = 0
      for (const r of refs) {
        chars += r.name.length
        if (r.kind === 'direct') { chars += r.oid.length; direct++ }
      }
      const ms = performance.now() - t0
      return { ms, count: refs.length, direct, chars, namesSha1: sha1(refs.map((r) => r.name)),
        pairsSha1: sha1(refs.filter((r) => r.kind === 'direct').map((r) => `${r.oid} ${r.name}`)) }
    },
    async 'refs-resolve'() {
      const { Repository } = require('../index.js')
      const t0 = performance.now()
      const repo = Repository.openSync(spec.repo)
      const out = new Array(lines.length)
      for (let i = 0; i < lines.length; i++) out[i] = repo.refs.resolveSync(lines[i]).oid
      const ms = performance.now() - t0
      return { ms, count: out.length, oidsSha1: sha1(out) }
    },
    // One updateSync per ref: each is its own transaction (lock, check expectedOld,
    // write, reflog, rename).
    async 'refs-update'() {
      const { Repository } = require('../index.js')
      const u = updates()
      const t0 = performance.now()
      const repo = Repository.openSync(spec.repo)
      for (const { name, next, old } of u) repo.refs.updateSync(name, next, { expectedOld: old })
      const ms = performance.now() - t0
      return { ms, count: u.length }
    },
  },
  'es-git': {
    // es-git 0.6.0 has no generic reference iterator: branches() (local + remote,
    // names only) plus findReference(full name).target() for each branch's oid,
    // and tagForeach (oid + name) for refs/tags/*.
    async 'refs-list'() {
      const { openRepository } = require('es-git')
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
      const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      pairs.sort((a, b) => { const x = a.slice(41); const y = b.slice(41); return x < y ? -1 : x > y ? 1 : 0 })
      return { ms, count: names.length, direct: pairs.length, namesSha1: sha1(sorted), pairsSha1: sha1(pairs) }
    },
    async 'refs-resolve'() {
      const { openRepository } = require('es-git')
      const t0 = performance.now()
      const repo = await openRepository(spec.repo)
      const out = new Array(lines.length)
      for (let i = 0; i < lines.length; i++) out[i] = repo.getReference(lines[i]).resolve().target()
      const ms = performance.now() - t0
      return { ms, count: out.length, oidsSha1: sha1(out) }
    },
    // No reference-update API with an expected old value; the closest single-ref
    // write is createBranch(shortName, commit, { force: true }) (libgit2
    // git_branch_create: lock, write, reflog). The two target commits are looked
    // up once (inside the timed region, like the open).
    async 'refs-update'() {
      const { openRepository } = require('es-git')
      const u = updates()
      const t0 = performance.now()
      const repo = await openRepository(spec.repo)
      const commits = new Map()
      for (const { next } of u) if (!commits.has(next)) commits.set(next, repo.getCommit(next))
      for (const { name, next } of u) {
        if (!name.startsWith('refs/heads/')) throw new Error(`es-git update: ${name} is not a branch`)
        repo.createBranch(name.slice('refs/heads/'.length), commits.get(next), { force: true })
      }
      const ms = performance.now() - t0
      return { ms, count: u.length }
    },
  },
  'isomorphic-git': {
    // listRefs per top-level namespace (names only: an oid per ref would take one
    // resolveRef each, which re-reads packed-refs; see refs-resolve).
    async 'refs-list'() {
      const git = (await import('isomorphic-git')).default
      const t0 = performance.now()
      const names = []
      for (const p of ['refs/heads', 'refs/tags', 'refs/remotes']) {
        for (const n of await git.listRefs({ fs, gitdir: spec.repo, filepath: p })) names.push(`${p}/${n}`)
      }
      const ms = performance.now() - t0
      // listRefs also returns `<tag>^{}` for packed-refs' peeled lines (not refs)
      const peeled = names.filter((n) => n.endsWith('^{}')).length
      const distinct = [...new Set(names.filter((n) => !n.endsWith('^{}')))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      return { ms, count: distinct.length, listed: names.length, peeled, namesSha1: sha1(distinct) }
    },
    // resolveRef in turn; the first call is timed separately (firstMs) so that a
    // sample can be extrapolated.
    async 'refs-resolve'() {
      const git = (await import('isomorphic-git')).default
      const out = new Array(lines.length)
      const t0 = performance.now()
      let tFirst = t0
      for (let i = 0; i < lines.length; i++) {
        out[i] = await git.resolveRef({ fs, gitdir: spec.repo, ref: lines[i] })
        if (i === 0) tFirst = performance.now()
      }
      const ms = performance.now() - t0
      return { ms, firstMs: tFirst - t0, count: out.length, oidsSha1: sha1(out) }
    },
    // writeRef({ force: true }) per ref: writes the loose file; no expected-old
    // check and no reflog (isomorphic-git has neither).
    async 'refs-update'() {
      const git = (await import('isomorphic-git')).default
      const u = updates()
      const t0 = performance.now()
      for (const { name, next } of u) await git.writeRef({ fs, gitdir: spec.repo, ref: name, value: next, force: true })
      const ms = performance.now() - t0
      return { ms, count: u.length }
    },
  },
}

const run = spec.task.startsWith('refs-') ? refsRunners[spec.contender]?.[spec.task] : runners[spec.contender]
if (!run) throw new Error(`unknown contender/task ${spec.contender}/${spec.task}`)
done(await run())
// Exit at once: es-git 0.6.0 was seen to segfault while tearing down after reading
// every object of medium (418k GitObjects); the measurement is complete by now.
process.exit(0)
