// Clone, fetch, lazy fetch, prefetch and openRemote against real git servers
// the tests start themselves: git-upload-pack (a path / file://), git daemon
// (git://) and git http-backend behind a Node http server (http://). Every
// object we fetch is compared with the source through git cat-file.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, existsSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fg from '../index.js'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fixture, copyOf, git, gitEnv } from './fixtures/repos.mjs'
import { gitDaemon, httpBackend, brokenServer, cuttingProxy, lyingServer } from './fixtures/servers.mjs'

const { Repository, GitError } = fg
/** git without blocking the event loop: needed when the server runs in this process (http). */
const gitAsync = (cwd, ...args) => promisify(execFile)('git', args, { cwd, env: gitEnv, maxBuffer: 1 << 30 })

const base = mkdtempSync(join(tmpdir(), 'ferrogit-remote-'))
const src = join(base, 'small.git')
git(base, 'clone', '-q', '--bare', '--no-local', fixture('small'), src)
git(src, 'config', 'uploadpack.allowFilter', 'true')
git(src, 'config', 'uploadpack.allowAnySHA1InWant', 'true')
let n = 0
const dest = (tag) => join(base, `${tag}-${++n}`)
const out = (dir, ...args) => git(dir, ...args).toString()

/** The objects of `repo` (with --missing=print lines) as git lists them. */
const objectList = (repo) => out(repo, 'rev-list', '--objects', '--all', '--missing=print').split('\n').sort().join('\n')

async function rejects(p, code) {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof GitError, `a GitError, not ${e}`)
    assert.equal(e.code, code, e.message)
    return true
  })
}

/** `content` of the blob `oid` in the source, as git cat-file gives it. */
const sourceBlob = (oid) => git(src, 'cat-file', 'blob', oid)

describe('clone', () => {
  test('a full clone over file:// is git clone, with progress', async () => {
    const ours = dest('full')
    const theirs = dest('git-full')
    const phases = []
    const r = await Repository.clone(`file://${src}`, ours, { onProgress: (p) => phases.push(p) })
    git(base, 'clone', '-q', `file://${src}`, theirs)
    assert.equal(r.workdir, ours)
    assert.equal(r.isBare, false)
    for (const args of [['for-each-ref'], ['config', '--local', '--list'], ['ls-files', '-s'], ['rev-parse', 'HEAD']]) {
      assert.equal(out(ours, ...args), out(theirs, ...args), args.join(' '))
    }
    assert.equal(objectList(ours), objectList(theirs))
    assert.equal(out(ours, 'status', '--porcelain'), '')
    git(ours, 'fsck', '--no-progress', '--strict')
    const names = [...new Set(phases.map((p) => p.phase))]
    for (const want of ['receiving', 'indexing', 'checkout']) assert.ok(names.includes(want), `${want} in ${names}`)
    const last = phases.filter((p) => p.phase === 'checkout').at(-1)
    assert.equal(last.done, last.total)
    assert.ok(phases.at(-1).bytes >= 0 && typeof phases[0].done === 'number')
  })

  test('cloneSync, bare, and a clone into a non-empty directory is refused', () => {
    const ours = dest('bare')
    const r = Repository.cloneSync(src, ours, { bare: true })
    assert.equal(r.isBare, true)
    assert.equal(r.gitDir, ours)
    git(ours, 'fsck', '--no-progress')
    assert.equal(out(ours, 'for-each-ref'), out(src, 'for-each-ref', 'refs/heads', 'refs/tags'))
    assert.throws(() => Repository.cloneSync(src, ours), (e) => e instanceof GitError && e.code === 'ERR_IO')
  })

  test('a partial clone fetches each missing blob on demand, once', async () => {
    const ours = dest('partial')
    const theirs = dest('git-partial')
    await Repository.clone(`file://${src}`, ours, { filter: 'blob:none', bare: true })
    git(base, 'clone', '-q', '--bare', '--filter=blob:none', `file://${src}`, theirs)
    assert.equal(objectList(ours), objectList(theirs))
    assert.equal(out(ours, 'config', '--local', '--list'), out(theirs, 'config', '--local', '--list'))
    const r = await Repository.open(ours)
    const missing = out(ours, 'rev-list', '--objects', '--all', '--missing=print').split('\n').filter((l) => l.startsWith('?')).map((l) => l.slice(1))
    assert.ok(missing.length > 50)
    const [a, b] = missing
    assert.equal(r.hasObject(a), false)
    await rejects(r.objectHeader(a), 'ERR_NOT_LOCAL')
    assert.throws(() => r.objectHeaderSync(a), (e) => e.code === 'ERR_NOT_LOCAL')
    // Readers of one missing object, async and sync together: one fetch.
    const before = r.stats().promisorFetches
    const pending = [r.getBlob(a), r.getBlob(a), r.readObject(a)]
    const now = r.getBlobSync(a)
    const all = await Promise.all(pending)
    for (const x of all) assert.equal(x, now)
    assert.deepEqual(now.content(), sourceBlob(a))
    assert.equal(r.stats().promisorFetches, before + 1)
    assert.equal(r.hasObject(a), true)
    assert.deepEqual((await r.objectHeader(a)).size, sourceBlob(a).length)
    // The Sync path fetches on the calling thread.
    assert.deepEqual(r.getBlobSync(b).content(), sourceBlob(b))
    assert.equal(r.stats().promisorFetches, before + 2)
    // git reads what we fetched, and fsck is content.
    assert.deepEqual(git(ours, 'cat-file', 'blob', b), sourceBlob(b))
    git(ours, 'fsck', '--no-progress')
    // An object the server does not have: not found, after asking.
    await rejects(r.readObject('0123456789abcdef0123456789abcdef01234567'), 'ERR_OBJECT_NOT_FOUND')
  })

  test('prefetch brings the missing blobs under paths in one request', async () => {
    const ours = dest('prefetch')
    await Repository.clone(`file://${src}`, ours, { filter: 'blob:none', bare: true })
    const r = await Repository.open(ours)
    const entries = await r.listFiles('HEAD~50')
    const dir = entries.find((e) => e.path.includes('/')).path.split('/')[0]
    const under = entries.filter((e) => e.type === 'blob' && e.path.startsWith(`${dir}/`))
    const other = entries.filter((e) => e.type === 'blob' && !e.path.startsWith(`${dir}/`))
    assert.ok(under.length > 0 && other.length > 0)
    await r.prefetch('HEAD~50', { paths: [dir] })
    assert.equal(r.stats().promisorFetches, 1)
    for (const e of under) assert.equal(r.hasObject(e.oid), true, e.path)
    assert.ok(other.some((e) => !r.hasObject(e.oid)))
    for (const e of under.slice(0, 20)) assert.deepEqual((await r.getBlob(e.oid)).content(), sourceBlob(e.oid))
    r.prefetchSync('HEAD~50')
    for (const e of other) assert.equal(r.hasObject(e.oid), true, e.path)
    assert.equal(r.stats().promisorFetches, 2)
    await r.prefetch('HEAD~50') // nothing missing: no request
    assert.equal(r.stats().promisorFetches, 2)
    git(ours, 'fsck', '--no-progress')
  })

  test('failures: no such remote, aborted, bad options', async () => {
    const d = dest('fail')
    await rejects(Repository.clone(join(base, 'nope.git'), d), 'ERR_TRANSPORT')
    assert.equal(existsSync(d), false)
    const ac = new AbortController()
    ac.abort()
    await rejects(Repository.clone(src, d, { signal: ac.signal }), 'ERR_ABORTED')
    assert.equal(existsSync(d), false)
    // Aborted while it runs: rejected, nothing left behind.
    const ac2 = new AbortController()
    const p = Repository.clone(src, d, { signal: ac2.signal, onProgress: () => ac2.abort() })
    await rejects(p, 'ERR_ABORTED')
    assert.equal(existsSync(d), false)
    await assert.rejects(Repository.clone(src, d, { depth: -1 }), TypeError)
    await assert.rejects(Repository.clone(src, d, { filter: 3 }), TypeError)
  })
})

describe('fetch', () => {
  test('fetch origin moves remote-tracking refs as git fetch does', async () => {
    const server = dest('moving')
    git(base, 'clone', '-q', '--bare', '--no-local', src, server)
    const ours = dest('fetch-ours')
    const theirs = dest('fetch-theirs')
    const r = await Repository.clone(server, ours)
    git(base, 'clone', '-q', server, theirs)
    // The server moves on: a new commit on a new branch, a deleted branch.
    const work = dest('work')
    git(base, 'clone', '-q', server, work)
    git(work, 'commit', '-q', '--allow-empty', '-m', 'new work')
    git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/feature')
    const branches = out(server, 'for-each-ref', '--format=%(refname)', 'refs/heads').split('\n').filter(Boolean)
    const doomed = branches.find((b) => !b.endsWith('/main') && !b.endsWith('/master') && !b.endsWith('/feature'))
    if (doomed) git(server, 'update-ref', '-d', doomed)
    const res = await r.fetch('origin', { prune: true })
    git(theirs, 'fetch', '-q', '--prune', 'origin')
    assert.equal(out(ours, 'for-each-ref', 'refs/remotes'), out(theirs, 'for-each-ref', 'refs/remotes'))
    const feature = res.updated.find((u) => u.name === 'refs/remotes/origin/feature')
    assert.deepEqual(feature, { name: 'refs/remotes/origin/feature', oldOid: null, newOid: out(work, 'rev-parse', 'HEAD').trim() })
    if (doomed) assert.ok(res.updated.some((u) => u.newOid === null))
    assert.equal(res.objects, 1) // the empty commit; its tree is known
    assert.ok(res.bytes > 0)
    git(ours, 'fsck', '--no-progress')
    const again = r.fetchSync('origin')
    assert.deepEqual(again, { updated: [], objects: 0, bytes: 0 })
    await assert.rejects(r.fetch(7), TypeError)
  })
})

describe('openRemote', () => {
  test('refs from ls-refs, objects on demand, the same as the source', async () => {
    const r = await Repository.openRemote(`file://${src}`, { filter: 'blob:none' })
    assert.equal(r.gitDir, null)
    const refs = await r.refs.list('refs/')
    const ls = out(src, 'for-each-ref', '--format=%(objectname) %(refname)')
    assert.equal(refs.map((x) => `${x.oid} ${x.name}\n`).join(''), ls)
    const head = out(src, 'rev-parse', 'HEAD').trim()
    assert.equal(await r.revParse('HEAD'), head)
    const c = await r.getCommit('HEAD')
    assert.deepEqual(c.raw(), git(src, 'cat-file', 'commit', head))
    const ids = []
    for await (const x of r.log({ limit: 100 })) ids.push(x.oid)
    assert.deepEqual(ids, out(src, 'rev-list', '-n', '100', 'HEAD').trim().split('\n'))
    const files = await r.listFiles('HEAD')
    const blob = files.find((f) => f.type === 'blob')
    assert.deepEqual((await r.readPath('HEAD', blob.path)).content(), sourceBlob(blob.oid))
    const s = r.stats()
    assert.ok(s.promisorFetches >= 2 && s.cacheBytes > 0 && s.evictions === 0, JSON.stringify(s))
  })

  test('maxCacheBytes evicts the oldest commits first; onOverfull error and callback', async () => {
    const r = await Repository.openRemote(src, { filter: 'blob:none', maxCacheBytes: 64 * 1024 })
    await r.getCommit('HEAD') // brings every commit and tree: far over the cap
    const s = r.stats()
    assert.ok(s.evictions > 0, JSON.stringify(s))
    const e = await Repository.openRemote(src, { filter: 'blob:none', maxCacheBytes: 1024, onOverfull: 'error' })
    await e.getCommit('HEAD') // the read that overfills succeeds
    await rejects(e.readPath('HEAD', (await e.listFiles('HEAD')).find((f) => f.type === 'blob').path), 'ERR_CACHE_OVERFULL')
    const seen = []
    const cb = await Repository.openRemote(src, { filter: 'blob:none', maxCacheBytes: 1024, onOverfull: (st) => seen.push(st) })
    await cb.getCommit('HEAD')
    await new Promise((res) => setImmediate(res))
    assert.ok(seen.length >= 1 && seen[0].cacheBytes > 1024, JSON.stringify(seen[0]))
    await rejects(Repository.openRemote(join(base, 'nope.git')), 'ERR_TRANSPORT')
  })
})

describe('servers: git daemon and http-backend', () => {
  let daemon
  let http
  before(async () => {
    daemon = await gitDaemon(base)
    http = await httpBackend(base)
  })
  after(async () => {
    await daemon?.close()
    await http?.close()
  })

  for (const kind of ['git', 'http']) {
    test(`${kind}://: partial clone, lazy read, fetch, openRemote`, async () => {
      const url = (kind === 'git' ? daemon : http).url('small.git')
      const ours = dest(`${kind}-clone`)
      const theirs = dest(`${kind}-git-clone`)
      const r = await Repository.clone(url, ours, { filter: 'blob:none' })
      await gitAsync(base, 'clone', '-q', '--filter=blob:none', url, theirs)
      assert.equal(objectList(ours), objectList(theirs))
      assert.equal(out(ours, 'for-each-ref'), out(theirs, 'for-each-ref'))
      assert.equal(out(ours, 'status', '--porcelain'), '')
      git(ours, 'fsck', '--no-progress')
      const missing = objectList(ours).split('\n').filter((l) => l.startsWith('?')).map((l) => l.slice(1))
      assert.deepEqual((await r.getBlob(missing[0])).content(), sourceBlob(missing[0]))
      assert.equal(r.stats().promisorFetches, 1)
      assert.deepEqual(await r.fetch('origin'), { updated: [], objects: 0, bytes: 0 })
      const o = await Repository.openRemote(url)
      assert.equal(await o.revParse('HEAD'), out(src, 'rev-parse', 'HEAD').trim())
    })
  }

  test('an http server that fails or lies: ERR_TRANSPORT', async () => {
    const bad = await httpBackend(base, { onRequest: (req) => (req.url.includes('404') ? { status: 404, body: 'no' } : { status: 200, headers: { 'content-type': 'application/x-git-upload-pack-advertisement' }, body: 'garbage!' }) })
    try {
      await rejects(Repository.clone(bad.url('404.git'), dest('h404')), 'ERR_TRANSPORT')
      await rejects(Repository.clone(bad.url('small.git'), dest('hgarbage')), 'ERR_TRANSPORT')
    } finally {
      await bad.close()
    }
  })

  test('a git server that sends garbage, or dies mid-pack: ERR_TRANSPORT, nothing left, the repository still reads', async (t) => {
    const garbage = await brokenServer((s) => s.end(Buffer.from('0042garbage that is not a pkt-line stream at all....\n')))
    const d = dest('garbage')
    try {
      await rejects(Repository.clone(garbage.url('small.git'), d), 'ERR_TRANSPORT')
      assert.equal(existsSync(d), false)
    } finally {
      await garbage.close()
    }
    const port = Number(new URL(daemon.url('x')).port)
    const cut = await cuttingProxy(port, 200 * 1024)
    t.after(() => cut.close())
    const c = dest('cut')
    await rejects(Repository.clone(cut.url('small.git'), c), 'ERR_TRANSPORT')
    assert.equal(existsSync(c), false)
    // A partial clone whose fetch of missing blobs is cut (a prefetch: its pack is longer than the cut):
    // it fails, nothing is stored, other reads work.
    const p = dest('cut-partial')
    const r = await Repository.clone(daemon.url('small.git'), p, { filter: 'blob:none', bare: true })
    git(p, 'config', 'remote.origin.url', cut.url('small.git'))
    const r2 = await Repository.open(p)
    const packs = readdirSync(join(p, 'objects/pack')).sort()
    const missing = objectList(p).split('\n').filter((l) => l.startsWith('?')).map((l) => l.slice(1))
    await assert.rejects(r2.prefetch('HEAD'), (e) => e.code === 'ERR_TRANSPORT')
    assert.deepEqual(readdirSync(join(p, 'objects/pack')).sort(), packs)
    assert.ok(missing.length > 0)
    assert.equal(r2.hasObject(missing[0]), false)
    assert.equal((await r2.getCommit('HEAD')).oid, out(src, 'rev-parse', 'HEAD').trim())
    r.close()
    rmSync(p, { recursive: true, force: true })
  })
})

describe('a server that does not send what was asked for', () => {
  test('ERR_OBJECT_NOT_FOUND, and what it did send is kept', async () => {
    const p = dest('liar')
    await Repository.clone(src, p, { filter: 'blob:none', bare: true })
    const missing = objectList(p).split('\n').filter((l) => l.startsWith('?')).map((l) => l.slice(1))
    const [asked, sent] = missing
    const pack = git(src, 'pack-objects', '--stdout', { input: `${sent}\n` })
    const liar = await lyingServer(pack)
    try {
      git(p, 'config', 'remote.origin.url', liar.url('small.git'))
      const r = await Repository.open(p)
      await rejects(r.getBlob(asked), 'ERR_OBJECT_NOT_FOUND')
      assert.equal(r.hasObject(asked), false)
      assert.equal(r.hasObject(sent), true)
      assert.deepEqual(git(p, 'cat-file', 'blob', sent), sourceBlob(sent))
      assert.equal(r.stats().promisorFetches, 1)
      git(p, 'fsck', '--no-progress', '--connectivity-only')
    } finally {
      await liar.close()
    }
  })
})

describe('CLI clone', () => {
  const cli = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'bin', 'ferrogit.js')
  const node = (cwd, ...args) => promisify(execFile)(process.execPath, [cli, ...args], { cwd, env: gitEnv })

  test('clone [--filter] [--depth] [--bare] makes what git clone makes; --progress shows phases', async () => {
    const work = dest('cli')
    git(base, 'init', '-q', work)
    const { stderr } = await node(work, 'clone', '--progress', '--filter=blob:none', `file://${src}`)
    assert.match(stderr, /^Cloning into 'small'\.\.\.\n/)
    assert.match(stderr, /Receiving objects: .*, done\.\n/)
    assert.match(stderr, /Updating files: 100% \((\d+)\/\1\), done\.\n/)
    git(work, 'clone', '-q', '--filter=blob:none', `file://${src}`, 'theirs')
    assert.equal(objectList(join(work, 'small')), objectList(join(work, 'theirs')))
    assert.equal(out(join(work, 'small'), 'status', '--porcelain'), '')
    await node(work, 'clone', '-q', '--depth=3', '--bare', src, 'shallow.git')
    assert.equal(out(join(work, 'shallow.git'), 'rev-list', '--count', 'HEAD').trim(), '3')
    const quiet = await node(work, 'clone', '-q', src, 'q')
    assert.equal(quiet.stderr, '')
    await assert.rejects(node(work, 'clone', src, 'q'), (e) => e.code === 128 && /already exists/.test(e.stderr))
    await assert.rejects(node(work, 'clone', join(base, 'nope')), (e) => e.code === 128 && /ERR_TRANSPORT/.test(e.stderr))
    await assert.rejects(node(work, 'clone'), (e) => e.code === 129)
  })
})

describe("git's partial clones", () => {
  test('make-repo partial (made by git clone --filter=blob:none): missing blobs are fetched on demand, as git would', async () => {
    const p = copyOf('partial')
    const r = await Repository.open(p)
    const missing = objectList(p).split('\n').filter((l) => l.startsWith('?')).map((l) => l.slice(1))
    assert.ok(missing.length > 0)
    const source = `${fixture('partial')}-source`
    for (const oid of missing.slice(0, 3)) {
      assert.equal(r.hasObject(oid), false)
      assert.deepEqual((await r.getBlob(oid)).content(), git(source, 'cat-file', 'blob', oid))
    }
    assert.equal(r.stats().promisorFetches, 3)
    git(p, 'fsck', '--no-progress', '--connectivity-only')
  })
})
