// Every object of make-repo tiny, small and refdelta — loose, packed, REF_DELTA
// and through alternates — read by ferrogit and compared with `git cat-file`.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, cpSync, readdirSync, renameSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fg from '../index.js'
import { fixture, git, allObjects } from './fixtures/repos.mjs'

const { Repository, GitError } = fg

function bytesOf(obj) {
  return obj.type === 'blob' ? obj.content() : obj.raw()
}

/** Same repository with every object packed (`git repack -adf`). */
function packedCopy(profile) {
  const dest = join(mkdtempSync(join(tmpdir(), 'ferrogit-packed-')), profile)
  git(tmpdir(), 'clone', '-q', '--bare', '--no-local', fixture(profile), dest)
  git(dest, 'repack', '-q', '-a', '-d', '-f')
  return dest
}

/** Same repository with every object loose (packs exploded with `git unpack-objects`). */
function looseCopy(profile) {
  const dest = join(mkdtempSync(join(tmpdir(), 'ferrogit-loose-')), profile)
  cpSync(fixture(profile), dest, { recursive: true })
  const packDir = join(dest, 'objects', 'pack')
  const hold = mkdtempSync(join(tmpdir(), 'ferrogit-hold-'))
  for (const f of readdirSync(packDir)) renameSync(join(packDir, f), join(hold, f))
  for (const f of readdirSync(hold).filter((f) => f.endsWith('.pack'))) {
    git(dest, '-c', 'core.bigFileThreshold=1g', 'unpack-objects', '-q', { input: readFileSync(join(hold, f)) })
  }
  rmSync(hold, { recursive: true, force: true })
  return dest
}


function checkAll(repoPath) {
  const expected = allObjects(repoPath)
  assert.ok(expected.length > 0)
  return expected
}

async function compareEverything(repoPath) {
  const expected = checkAll(repoPath)
  const repo = Repository.openSync(repoPath)
  const objs = await repo.readObjects(expected.map((e) => e.oid))
  assert.equal(objs.length, expected.length)
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]
    const o = objs[i]
    assert.equal(o.oid, e.oid)
    assert.equal(o.type, e.type, `type of ${e.oid}`)
    assert.ok(bytesOf(o).equals(e.data), `content of ${e.type} ${e.oid}`)
    if (e.type === 'blob') assert.equal(o.size, e.size)
  }
  // Sync reads and headers agree, on a fresh repository (no identity-map hits).
  const fresh = Repository.openSync(repoPath)
  for (const e of expected) {
    const o = fresh.readObjectSync(e.oid)
    assert.ok(bytesOf(o).equals(e.data))
    assert.deepEqual(fresh.objectHeaderSync(e.oid), { type: e.type, size: e.size })
    assert.equal(fresh.hasObject(e.oid), true)
  }
  // Parsed commit fields against git's own view.
  const lines = git(repoPath, 'log', '--all', '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%s')
    .toString()
    .trim()
    .split('\n')
  for (const line of lines) {
    const [oid, tree, parents, an, ae, at, cn, ce, ct, subject] = line.split('\0')
    const c = fresh.getCommitSync(oid)
    assert.equal(c.treeId, tree)
    assert.deepEqual(c.parentIds, parents ? parents.split(' ') : [])
    assert.deepEqual([c.author.name, c.author.email, c.author.seconds], [an, ae, Number(at)])
    assert.deepEqual([c.committer.name, c.committer.email, c.committer.seconds], [cn, ce, Number(ct)])
    assert.equal(c.summary, subject)
  }
  return expected.length
}

for (const profile of ['tiny', 'small', 'refdelta']) {
  describe(`every object of make-repo ${profile}`, () => {
    test('as built', { timeout: 300_000 }, async () => {
      await compareEverything(fixture(profile))
    })
    test('all packed', { timeout: 300_000 }, async () => {
      await compareEverything(packedCopy(profile))
    })
    test('all loose', { timeout: 300_000 }, async () => {
      await compareEverything(looseCopy(profile))
    })
  })
}

describe('object classes', () => {
  test('trees: modes, symlinks, gitlinks and get()', () => {
    const path = fixture('tiny')
    const repo = Repository.openSync(path)
    // v1.0 has a symlink and a gitlink (HEAD has lost the symlink).
    const entries = git(path, 'ls-tree', '-r', '-t', '-z', 'v1.0').toString().split('\0').filter(Boolean)
    let sawLink = false
    let sawGitlink = false
    for (const line of entries) {
      const [meta, name] = line.split('\t')
      const [mode, type, oid] = meta.split(' ')
      const parent = name.includes('/') ? git(path, 'rev-parse', `v1.0:${name.slice(0, name.lastIndexOf('/'))}`).toString().trim() : repo.getCommitSync('v1.0').treeId
      const entry = repo.getTreeSync(parent).get(name.slice(name.lastIndexOf('/') + 1))
      assert.deepEqual(entry && [entry.mode, entry.type, entry.oid], [parseInt(mode, 8), type, oid])
      if (mode === '120000') sawLink = true
      if (mode === '160000') sawGitlink = true
    }
    assert.ok(sawLink && sawGitlink, 'tiny has a symlink and a gitlink')
    assert.equal(repo.getTreeSync(repo.getCommitSync('HEAD').treeId).get('no such name'), null)
  })

  test('tags: annotated tag fields', () => {
    const path = fixture('tiny')
    const repo = Repository.openSync(path)
    const tagOid = git(path, 'rev-parse', 'refs/tags/v1.0').toString().trim()
    const tag = repo.getTagSync(tagOid)
    assert.equal(tag.targetId, git(path, 'rev-parse', 'v1.0^{}').toString().trim())
    assert.equal(tag.targetType, git(path, 'cat-file', '-t', 'v1.0^{}').toString().trim())
    assert.equal(tag.name, 'v1.0')
    assert.equal(tag.tagger.seconds, Number(git(path, 'for-each-ref', '--format=%(taggerdate:unix)', 'refs/tags/v1.0').toString().trim()))
    assert.ok(tag.raw().equals(git(path, 'cat-file', 'tag', tagOid)))
  })

  test('commits keep every header, the message exact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrogit-headers-'))
    git(dir, 'init', '-q', '--bare', 'r')
    const repoPath = join(dir, 'r')
    const tree = git(repoPath, 'mktree', { input: '' }).toString().trim()
    const body =
      `tree ${tree}\nauthor A U Thor <a@example.com> 1700000000 +0530\ncommitter C <c@example.com> 1700000001 -0800\n` +
      `encoding ISO-8859-1\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n` +
      `x-custom keep me\n\n  Subject  line\ncontinued\n\nBody\n\n`
    const oid = execHash(repoPath, 'commit', body)
    const repo = Repository.openSync(repoPath)
    const c = await repo.getCommit(oid)
    assert.equal(c.encoding, 'ISO-8859-1')
    assert.equal(c.gpgSignature, '-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----')
    assert.equal(c.message, '  Subject  line\ncontinued\n\nBody\n\n')
    assert.equal(c.summary, git(repoPath, 'log', '-1', '--format=%s', oid).toString().replace(/\n$/, ''))
    assert.deepEqual([c.author.offset, c.committer.offset], [330, -480])
    assert.equal(c.author.date.getTime(), 1700000000 * 1000)
    assert.ok(c.raw().equals(Buffer.from(body)))
  })

  test('blobs: text, binary detection; hashObject matches git hash-object', () => {
    const repo = Repository.openSync(fixture('tiny'))
    for (const [type, data] of [['blob', 'hello\n'], ['blob', Buffer.from([0, 1, 2])], ['tree', Buffer.alloc(0)]]) {
      const expected = git(tmpdir(), 'hash-object', '-t', type, '--stdin', '--literally', { input: data }).toString().trim()
      assert.equal(repo.hashObject(type, data), expected)
    }
  })

  test('errors: codes for bad ids, missing objects, wrong types', async () => {
    const repo = Repository.openSync(fixture('tiny'))
    const head = repo.revParseSync('HEAD')
    for (const bad of ['xyz', '12', 'g'.repeat(40), '']) {
      assert.throws(() => repo.readObjectSync(bad), (e) => e instanceof GitError && e.code === 'ERR_INVALID_OID')
      await assert.rejects(repo.readObject(bad), (e) => e instanceof GitError && e.code === 'ERR_INVALID_OID')
    }
    const missing = 'f'.repeat(40)
    assert.throws(() => repo.readObjectSync(missing), (e) => e.code === 'ERR_OBJECT_NOT_FOUND' && e.oid === missing)
    await assert.rejects(repo.readObjects([head, missing]), (e) => e.code === 'ERR_OBJECT_NOT_FOUND')
    await assert.rejects(repo.objectHeader(missing), (e) => e.code === 'ERR_OBJECT_NOT_FOUND')
    assert.equal(repo.hasObject(missing), false)
    assert.throws(() => repo.getBlobSync(head), (e) => e.code === 'ERR_OBJECT_TYPE')
    await assert.rejects(repo.getTree(head), (e) => e.code === 'ERR_OBJECT_TYPE')
    assert.equal((await repo.readObject(head.toUpperCase())).oid, head)
    repo.close()
    assert.throws(() => repo.readObjectSync(head), (e) => e.code === 'ERR_CLOSED')
    await assert.rejects(repo.readObject(head), (e) => e.code === 'ERR_CLOSED')
  })

  test('packs written after open are found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrogit-late-'))
    git(dir, 'init', '-q', '--bare', 'r')
    const repoPath = join(dir, 'r')
    const repo = Repository.openSync(repoPath)
    const oid = git(repoPath, 'hash-object', '-w', '--stdin', { input: 'late\n' }).toString().trim()
    git(repoPath, 'pack-objects', '-q', 'objects/pack/pack', { input: `${oid}\n` })
    git(repoPath, 'prune-packed')
    assert.equal(readdirSync(join(repoPath, 'objects', 'pack')).filter((f) => f.endsWith('.pack')).length, 1)
    assert.equal((await repo.getBlob(oid)).text(), 'late\n')
  })
})

function execHash(repoPath, type, body) {
  return git(repoPath, 'hash-object', '-w', '-t', type, '--stdin', '--literally', { input: body }).toString().trim()
}

test('packed objects on both sides of the exact-extent threshold (1 MiB) read as git stores them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-big-'))
  try {
    git(dir, 'init', '-q', '--bare', 'r')
    const r = join(dir, 'r')
    // Incompressible data, so the big entries' streams are about as long as their content.
    const bytes = (n, seed) => {
      const b = Buffer.alloc(n)
      let x = seed
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) >>> 0
        b[i] = x >>> 24
      }
      return b
    }
    const sizes = [0, 1, 1000, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20]
    const blobs = sizes.map((n, i) => [git(r, 'hash-object', '-w', '--stdin', { input: bytes(n, i + 1) }).toString().trim(), n])
    // A near-copy of the biggest, so the pack also holds a large delta.
    const near = bytes(3 << 20, 7)
    near[12345] ^= 1
    blobs.push([git(r, 'hash-object', '-w', '--stdin', { input: near }).toString().trim(), near.length])
    // Reachable, or repack leaves them loose.
    const tree = git(r, 'mktree', { input: blobs.map(([oid], i) => `100644 blob ${oid}\tf${i}\n`).join('') }).toString().trim()
    git(r, 'update-ref', 'refs/heads/main', git(r, 'commit-tree', '-m', 'big', tree).toString().trim())
    git(r, 'repack', '-adf', '-q')
    git(r, 'prune-packed')
    assert.equal(readdirSync(join(r, 'objects/pack')).filter((f) => f.endsWith('.pack')).length, 1)
    const repo = Repository.openSync(r)
    for (const [oid, n] of blobs) {
      const want = git(r, 'cat-file', 'blob', oid)
      assert.equal(want.length, n)
      assert.ok(repo.getBlobSync(oid).content().equals(want), `blob of ${n} bytes`)
      assert.ok((await Repository.openSync(r).getBlob(oid)).content().equals(want), `blob of ${n} bytes, Promise`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
