// Corrupt repositories: every read of a damaged object rejects (or throws) a
// GitError with the right code, nothing crashes or hangs, and a good object in
// the same repository still reads back equal to `git cat-file`.
//
// Run: node --expose-gc --test __test__/corrupt.test.mjs

import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'

import fg from '../index.js'
import * as fx from './fixtures/corrupt.mjs'

const { Repository, GitError } = fg

const TIMEOUT = { timeout: 10000 }
/** "Fail fast": a bomb or a huge declared size must be refused quickly and without allocating it. */
const FAST_MS = 2000
const MAX_RSS_GROWTH = 256 << 20

after(() => fx.removeAll())

const bytesOf = (obj) => (obj.type === 'blob' ? obj.content() : obj.raw())

function describeErr(err) {
  return err instanceof Error ? `${err.constructor?.name} code=${err.code} message=${JSON.stringify(err.message)}` : String(err)
}

function checkErr(err, code) {
  assert.ok(err instanceof GitError, `expected a GitError, got ${describeErr(err)}`)
  assert.ok(err instanceof Error)
  assert.equal(err.code, code, `expected ${code}, got ${describeErr(err)}`)
  return true
}

async function rejectsWith(promise, code) {
  let value
  try {
    value = await promise
  } catch (err) {
    return checkErr(err, code)
  }
  assert.fail(`expected a rejection with ${code}, resolved with ${JSON.stringify(summary(value))}`)
}

function throwsWith(fn, code) {
  let value
  try {
    value = fn()
  } catch (err) {
    return checkErr(err, code)
  }
  assert.fail(`expected a throw with ${code}, returned ${JSON.stringify(summary(value))}`)
}

function summary(v) {
  if (Array.isArray(v)) return v.map(summary)
  if (v && typeof v === 'object' && 'oid' in v) return { oid: v.oid, type: v.type }
  return v
}

/** Read `oid` in every way and compare with git's bytes, type and size. */
async function assertGoodRead(repo, dir, oid, type, expected) {
  const gitBytes = fx.git(dir, ['cat-file', type, oid])
  if (expected) assert.deepEqual(gitBytes, expected, 'git itself reads the object as written')
  const a = await repo.readObject(oid)
  assert.equal(a.oid, oid)
  assert.equal(a.type, type)
  assert.deepEqual(bytesOf(a), gitBytes)
  const s = repo.readObjectSync(oid)
  assert.equal(s.type, type)
  assert.deepEqual(bytesOf(s), gitBytes)
  const [b] = await repo.readObjects([oid])
  assert.deepEqual(bytesOf(b), gitBytes)
  const size = Number(fx.git(dir, ['cat-file', '-s', oid]).toString().trim())
  assert.deepEqual({ ...(await repo.objectHeader(oid)) }, { type, size })
  assert.deepEqual({ ...repo.objectHeaderSync(oid) }, { type, size })
  assert.equal(repo.hasObject(oid), true)
}

// ---------------------------------------------------------------------------

describe('pack writer used by the corrupt fixtures', () => {
  test('ofs encoding round-trips through git\'s decoder loop', () => {
    for (const n of [1, 12, 127, 128, 129, 16383, 16384, 16511, 16512, 2 ** 21, 2 ** 31 + 5, 2 ** 40]) {
      assert.equal(fx.decodeOfs(fx.encodeOfs(n)), n, `distance ${n}`)
    }
    assert.deepEqual([...fx.encodeOfs(128)], [0x80, 0x00]) // git writes 128 as 80 00
  })

  test('a good pack and idx from the writer are accepted by git and read back by ferrogit', TIMEOUT, async () => {
    const good = fx.makeGoodPackRepo()
    // git accepts the pack and index as they are (verify-pack rebuilds the idx and compares).
    const vp = fx.gitTry(good.dir, ['verify-pack', '-v', good.idxPath])
    assert.equal(vp.status, 0, `git verify-pack: ${vp.stderr}`)
    const listed = vp.stdout.toString()
    for (const o of good.objects) assert.match(listed, new RegExp(`^${o.oid} ${o.type} `, 'm'))
    assert.match(listed, /^chain length = 1: 2 objects$/m)
    assert.match(listed, /^chain length = 2: 1 object$/m)
    const fsck = fx.gitTry(good.dir, ['fsck', '--full', '--strict', '--no-dangling'])
    assert.equal(fsck.status, 0, `git fsck: ${fsck.stderr}`)
    assert.equal(fx.git(good.dir, ['count-objects', '-v']).toString().match(/^count: (\d+)/m)[1], '0', 'nothing loose')

    const repo = await Repository.open(good.dir)
    for (const o of good.objects) {
      assert.ok(fx.git(good.dir, ['cat-file', '-p', o.oid]).length >= 0)
      await assertGoodRead(repo, good.dir, o.oid, o.type, o.data)
    }
    const all = await repo.readObjects(good.objects.map((o) => o.oid))
    assert.deepEqual(all.map(bytesOf), good.objects.map((o) => o.data))
  })
})

// ---------------------------------------------------------------------------

test('control: a missing object in a good repository is ERR_OBJECT_NOT_FOUND', TIMEOUT, async () => {
  const base = fx.makeGoodRepo()
  const repo = Repository.openSync(base.dir)
  await rejectsWith(repo.readObject(fx.MISSING_OID), 'ERR_OBJECT_NOT_FOUND')
  throwsWith(() => repo.readObjectSync(fx.MISSING_OID), 'ERR_OBJECT_NOT_FOUND')
  await rejectsWith(repo.objectHeader(fx.MISSING_OID), 'ERR_OBJECT_NOT_FOUND')
  throwsWith(() => repo.objectHeaderSync(fx.MISSING_OID), 'ERR_OBJECT_NOT_FOUND')
  assert.equal(repo.hasObject(fx.MISSING_OID), false)
  for (const g of base.good) await assertGoodRead(repo, base.dir, g.oid, g.type)
})

// ---------------------------------------------------------------------------

/**
 * One corrupt repository: each damaged object fails every read with its code
 * (async first, so a hang shows as a timeout rather than blocking the loop),
 * a header read fails where the damage is visible to it and otherwise settles,
 * failures are not remembered as successes, and good objects still read.
 */
for (const [title, build] of fx.CASES) {
  describe(title, () => {
    const fix = build()
    let repo
    const asyncSettled = new Map()

    test('the repository opens', TIMEOUT, async () => {
      repo = await Repository.open(fix.dir)
      assert.ok(Repository.openSync(fix.dir))
    })

    for (const bad of fix.bad) {
      const label = `${bad.oid.slice(0, 10)} (${bad.why})`

      test(`readObject rejects ${bad.code}: ${label}`, TIMEOUT, async () => {
        const rss0 = process.memoryUsage().rss
        const t0 = performance.now()
        const p = repo.readObject(bad.oid)
        p.then(() => asyncSettled.set(bad.oid, true), () => asyncSettled.set(bad.oid, true))
        await rejectsWith(p, bad.code)
        assertFast(bad, t0, rss0)
      })

      test(`readObjectSync throws ${bad.code}: ${label}`, TIMEOUT, (t) => {
        if (!asyncSettled.get(bad.oid)) {
          // The async read never settled: a sync read would block the event loop for good.
          assert.fail('skipped: readObject did not settle, readObjectSync would hang the process')
        }
        const rss0 = process.memoryUsage().rss
        const t0 = performance.now()
        throwsWith(() => repo.readObjectSync(bad.oid), bad.code)
        assertFast(bad, t0, rss0)
      })

      test(`readObjects (batch with a good object) rejects ${bad.code}: ${label}`, TIMEOUT, async () => {
        await rejectsWith(repo.readObjects([fix.good[0].oid, bad.oid]), bad.code)
      })

      if (bad.header === 'strict') {
        test(`objectHeader rejects ${bad.code}: ${label}`, TIMEOUT, async () => {
          await rejectsWith(repo.objectHeader(bad.oid), bad.code)
          throwsWith(() => repo.objectHeaderSync(bad.oid), bad.code)
        })
      } else {
        test(`objectHeader settles (content damage is not a header read's to see): ${label}`, TIMEOUT, async () => {
          // Either an answer or the same code; never another error, a crash or a hang.
          const settle = async (f) => {
            try {
              const h = await f()
              assert.ok(['blob', 'tree', 'commit', 'tag'].includes(h.type), `type ${h.type}`)
              assert.equal(typeof h.size, 'number')
              if (bad.declaredSize !== undefined) assert.equal(h.size, bad.declaredSize)
            } catch (err) {
              checkErr(err, bad.code)
            }
          }
          await settle(() => repo.objectHeader(bad.oid))
          await settle(async () => repo.objectHeaderSync(bad.oid))
        })
      }

      test(`hasObject does not throw: ${label}`, TIMEOUT, () => {
        assert.equal(typeof repo.hasObject(bad.oid), 'boolean')
      })
    }

    test('good objects read afterwards, equal to git cat-file', TIMEOUT, async () => {
      if (typeof globalThis.gc === 'function') globalThis.gc()
      for (const g of fix.good) await assertGoodRead(repo, fix.dir, g.oid, g.type)
      // Objects stored next to the damage (same pack) are unaffected.
      for (const g of fix.packGood) {
        assert.equal(fx.objectId(g.type, g.data), g.oid)
        const a = await repo.readObject(g.oid)
        assert.deepEqual(bytesOf(a), g.data)
        assert.deepEqual(bytesOf(repo.readObjectSync(g.oid)), g.data)
        assert.deepEqual({ ...repo.objectHeaderSync(g.oid) }, { type: g.type, size: g.data.length })
      }
    })

    test('damaged objects still fail after the good reads (a failure is not cached as a success)', TIMEOUT, async () => {
      for (const bad of fix.bad) {
        await rejectsWith(repo.readObject(bad.oid), bad.code)
        if (asyncSettled.get(bad.oid)) throwsWith(() => repo.readObjectSync(bad.oid), bad.code)
      }
    })

    if (fix.name !== 'idx with a non-monotonic fan-out') {
      // (With an unreadable index, a miss may be the broken pack's fault: not asserted there.)
      test('a missing object is still ERR_OBJECT_NOT_FOUND', TIMEOUT, async () => {
        await rejectsWith(repo.readObject(fx.MISSING_OID), 'ERR_OBJECT_NOT_FOUND')
        throwsWith(() => repo.readObjectSync(fx.MISSING_OID), 'ERR_OBJECT_NOT_FOUND')
      })
    }

    test('a freshly opened repository reads the good objects first, then fails the damaged ones', TIMEOUT, async () => {
      const fresh = Repository.openSync(fix.dir)
      for (const g of fix.good) assert.deepEqual(bytesOf(fresh.readObjectSync(g.oid)), fx.git(fix.dir, ['cat-file', g.type, g.oid]))
      for (const bad of fix.bad) {
        if (!asyncSettled.get(bad.oid)) continue
        throwsWith(() => fresh.readObjectSync(bad.oid), bad.code)
      }
    })
  })
}

function assertFast(bad, t0, rss0) {
  if (bad.declaredSize === undefined) return
  const ms = performance.now() - t0
  const grew = process.memoryUsage().rss - rss0
  assert.ok(ms < FAST_MS, `took ${ms.toFixed(0)} ms to refuse a ${bad.declaredSize}-byte declaration`)
  assert.ok(grew < MAX_RSS_GROWTH, `RSS grew by ${grew} bytes while refusing it`)
}
