// The identity map's four musts (API.md): one instance per oid while reachable,
// one load for concurrent reads, sync-during-async without deadlock, and
// collection once nothing holds an object. Run with --expose-gc.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fg from '../index.js'
import { fixture, allObjects } from './fixtures/repos.mjs'

const { Repository } = fg

const gc = globalThis.gc
if (typeof gc !== 'function') throw new Error('run these tests with node --expose-gc')

const small = fixture('small')
const objects = allObjects(small)
const byType = (t) => objects.filter((o) => o.type === t).map((o) => o.oid)
const commits = byType('commit')
const blobs = byType('blob')

async function settleGc() {
  // Two rounds: finalizers run after the first collection.
  for (let i = 0; i < 2; i++) {
    gc()
    await new Promise((r) => setImmediate(r))
  }
}

describe('identity map', () => {
  test('1. one instance per oid across Promise, sync and batch reads', async () => {
    const repo = Repository.openSync(small)
    const oid = commits[0]
    const a = await repo.readObject(oid)
    const b = repo.readObjectSync(oid)
    const [c] = await repo.readObjects([oid])
    const d = await repo.getCommit(oid)
    const e = repo.getCommitSync(oid)
    const f = repo.getCommitSync(a.oid.toUpperCase())
    for (const x of [b, c, d, e, f]) assert.equal(x, a)
    // A parent reached through the object API is the same instance as a direct read.
    const [p] = await a.getParents()
    assert.equal(p, repo.readObjectSync(a.parentIds[0]))
    assert.equal(a.getTreeSync(), await repo.getTree(a.treeId))
    // Sync-first then Promise, for a tree and a blob too.
    for (const oid2 of [a.treeId, blobs[0]]) {
      const s = repo.readObjectSync(oid2)
      assert.equal(await repo.readObject(oid2), s)
    }
    // Batches with duplicates give the same instance at every position.
    const batch = await repo.readObjects([blobs[1], blobs[2], blobs[1]])
    assert.equal(batch[0], batch[2])
    assert.equal(batch[1], repo.readObjectSync(blobs[2]))
  })

  test('2. 50 concurrent Promise reads of one oid load it once', async () => {
    const repo = Repository.openSync(small)
    const before = repo.stats()
    const reads = await Promise.all(Array.from({ length: 50 }, () => repo.readObject(blobs[3])))
    const after = repo.stats()
    assert.equal(after.objectLoads - before.objectLoads, 1)
    assert.equal(after.inflightJoins - before.inflightJoins, 49)
    for (const r of reads) assert.equal(r, reads[0])
    // Batch reads join an in-flight single read instead of loading again.
    const s0 = repo.stats()
    const [single, [fromBatch]] = await Promise.all([repo.readObject(blobs[4]), repo.readObjects([blobs[4]])])
    const s1 = repo.stats()
    assert.equal(single, fromBatch)
    assert.equal(s1.objectLoads - s0.objectLoads, 1)
  })

  test('3. a sync read while the Promise read of the same oid is in flight: 200 rounds, no deadlock', { timeout: 60_000 }, async () => {
    for (let round = 0; round < 200; round++) {
      // A fresh repository each round so the object is never already loaded.
      const repo = Repository.openSync(small)
      const oid = commits[round % commits.length]
      const pending = repo.readObject(oid)
      const viaSync = repo.readObjectSync(oid)
      assert.equal(viaSync.oid, oid)
      const viaPromise = await pending
      assert.equal(viaPromise, viaSync)
      const st = repo.stats()
      assert.ok(st.objectLoads >= 1 && st.objectLoads <= 2, `round ${round}: ${st.objectLoads} loads`)
    }
    // And many at once: sync reads racing a batch and single Promise reads.
    const repo = Repository.openSync(small)
    const some = blobs.slice(0, 500)
    const batch = repo.readObjects(some)
    const singles = some.slice(0, 100).map((o) => repo.readObject(o))
    const syncs = some.map((o) => repo.readObjectSync(o))
    const fromBatch = await batch
    const fromSingles = await Promise.all(singles)
    for (let i = 0; i < some.length; i++) assert.equal(fromBatch[i], syncs[i])
    for (let i = 0; i < 100; i++) assert.equal(fromSingles[i], syncs[i])
  })

  test('4. objects being loaded are kept; dropped ones are collected and the map shrinks', { timeout: 120_000 }, async () => {
    const repo = Repository.openSync(small)
    // Kept while loading: collect garbage while the load is under way.
    const oid = blobs[10]
    const pending = repo.readObject(oid)
    gc()
    const first = repo.readObjectSync(oid)
    gc()
    assert.equal(await pending, first)

    let held = await repo.readObjects(blobs.slice(0, 2000))
    const grown = repo.stats().identityMapSize
    assert.ok(grown >= 2000, `map holds what JS holds (${grown})`)
    const keep = held[5]
    held = null
    await settleGc()
    const shrunk = repo.stats().identityMapSize
    assert.ok(shrunk < grown / 2, `identityMapSize fell from ${grown} to ${shrunk}`)
    // What is still referenced keeps its identity.
    assert.equal(repo.readObjectSync(blobs[5]), keep)
  })

  test('4b. reading every object of small, batch by batch, keeps the map bounded', { timeout: 120_000 }, async () => {
    const repo = Repository.openSync(small)
    const all = objects.map((o) => o.oid)
    let peak = 0
    for (let i = 0; i < all.length; i += 1000) {
      const objs = await repo.readObjects(all.slice(i, i + 1000))
      assert.equal(objs.length, Math.min(1000, all.length - i))
      await settleGc()
      peak = Math.max(peak, repo.stats().identityMapSize)
    }
    assert.ok(peak < 5000, `map stayed bounded (peak ${peak} of ${all.length})`)
  })
})
