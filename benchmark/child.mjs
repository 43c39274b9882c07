// One measurement in a fresh Node process, so that peak RSS belongs to one
// contender only. Started by benchmark/run.mjs; not meant to be run by hand.
//
//   node benchmark/child.mjs '<json spec>'
//
// spec: { contender: 'ferrogit' | 'es-git' | 'isomorphic-git' | 'baseline',
//         task: 'all' | 'concurrent', repo: <git dir>, oidsFile: <one oid per line> }
//
// Prints one line `RESULT {json}` on stdout: { ms, openMs, count, bytes,
// blobBytes, maxRssKiB, ... }. `ms` is the timed region (see run.mjs / BENCHMARKS.md
// for what each contender's timed region covers). Everything is loaded and the
// oid list is read before the clock starts.
import { readFileSync } from 'node:fs'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)
const spec = JSON.parse(process.argv[2])
const oids = readFileSync(spec.oidsFile, 'utf8').split('\n').filter(Boolean)

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

const run = runners[spec.contender]
if (!run) throw new Error(`unknown contender ${spec.contender}`)
done(await run())
// Exit at once: es-git 0.6.0 was seen to segfault while tearing down after reading
// every object of medium (418k GitObjects); the measurement is complete by now.
process.exit(0)
