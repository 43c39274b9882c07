// The reference database, read side, against git: make-repo refs (100,000
// packed refs, loose overrides, symref chains, a linked worktree) and small
// in-test repositories for the broken cases.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, readFileSync, existsSync, symlinkSync, rmSync, mkdirSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fg from '../index.js'
import { fixture, git } from './fixtures/repos.mjs'

const { Repository, GitError } = fg
const temps = []
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))

const refsRepo = fixture('refs')
const leafOid = (r) => (r.kind === 'symbolic' ? leafOid(r.target) : r.oid)

function gitRefs(repo, prefix = 'refs/') {
  return git(repo, 'for-each-ref', '--format=%(objectname) %(refname)', prefix)
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
}

function smallRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-refs-'))
  temps.push(dir)
  git(dir, 'init', '-q', '-b', 'main', 'r')
  const r = join(dir, 'r')
  writeFileSync(join(r, 'f'), 'x\n')
  git(r, 'add', 'f')
  git(r, 'commit', '-q', '-m', 'one')
  return { r, gitDir: join(r, '.git'), head: git(r, 'rev-parse', 'HEAD').toString().trim() }
}

const isCode = (code) => (e) => e instanceof GitError && e.code === code

describe('make-repo refs', () => {
  const repo = Repository.openSync(refsRepo)

  test('list() equals git for-each-ref: names, order, oids', async () => {
    const expected = gitRefs(refsRepo)
    for (const got of [repo.refs.listSync(), await repo.refs.list()]) {
      assert.equal(got.length, expected.length)
      for (let i = 0; i < expected.length; i++) {
        assert.equal(got[i].name, expected[i][1])
        assert.equal(leafOid(got[i]), expected[i][0], expected[i][1])
      }
    }
    const tags = repo.refs.listSync('refs/tags/')
    assert.deepEqual(tags.map((r) => r.name), gitRefs(refsRepo, 'refs/tags/').map((x) => x[1]))
  })

  test('storage says where each ref lives; peeled lines of annotated tags', () => {
    const packed = readFileSync(join(refsRepo, 'packed-refs'), 'utf8')
    const packedNames = new Set(packed.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => l.slice(41)))
    let loose = 0
    let both = 0
    for (const r of repo.refs.listSync()) {
      const isLoose = existsSync(join(refsRepo, r.name))
      const isPacked = packedNames.has(r.name)
      const want = isLoose && isPacked ? 'loose-packed' : isLoose ? 'loose' : 'packed'
      assert.equal(r.storage, want, r.name)
      if (isLoose) loose++
      if (isLoose && isPacked) both++
    }
    assert.ok(loose > 0 && both > 0, 'the fixture has loose and overriding loose refs')
    const annotated = git(refsRepo, 'for-each-ref', '--format=%(refname) %(*objectname)', 'refs/tags/').toString().trim().split('\n')
      .map((l) => l.split(' ')).filter(([, peeled]) => peeled)
    assert.ok(annotated.length > 0)
    for (const [name, peeled] of annotated.slice(0, 200)) {
      const r = repo.refs.getSync(name)
      if (r.storage === 'packed') assert.equal(r.peeled, peeled, name)
    }
  })

  test('HEAD and symbolic chains keep every link', async () => {
    const head = await repo.refs.get('HEAD')
    assert.equal(head.kind, 'symbolic')
    assert.equal(head.target.name, git(refsRepo, 'symbolic-ref', 'HEAD').toString().trim())
    assert.equal(leafOid(head), git(refsRepo, 'rev-parse', 'HEAD').toString().trim())
    for (const name of ['refs/heads/s1', 'refs/heads/s2', 'refs/heads/s3', 'refs/remotes/origin/HEAD']) {
      const r = repo.refs.getSync(name)
      assert.equal(r.kind, 'symbolic', name)
      assert.equal(r.target.name, git(refsRepo, 'symbolic-ref', '--no-recurse', name).toString().trim())
      assert.equal(repo.refs.resolveSync(name).oid, git(refsRepo, 'rev-parse', name).toString().trim())
    }
  })

  test('dwim follows git rev-parse', () => {
    // dwim returns the ref that matched, chain kept; git --symbolic-full-name prints the chain's end.
    const leaf = (r) => (r.kind === 'symbolic' ? leaf(r.target) : r)
    for (const [short, matched] of [['main', 'refs/heads/main'], ['origin', 'refs/remotes/origin/HEAD'], ['origin/main', 'refs/remotes/origin/main'], ['HEAD', 'HEAD'], ['s1', 'refs/heads/s1']]) {
      const want = git(refsRepo, 'rev-parse', '--symbolic-full-name', short).toString().trim()
      const got = repo.refs.dwimSync(short)
      assert.equal(got.name, matched, short)
      assert.equal(leaf(got).name, want, short)
    }
    const tag = gitRefs(refsRepo, 'refs/tags/')[7][1]
    assert.equal(repo.refs.dwimSync(tag.slice('refs/tags/'.length)).name, tag)
    assert.equal(repo.refs.dwimSync('no-such-thing'), null)
  })

  test('a linked worktree: per-worktree HEAD and refs, common refs shared, main-worktree/', () => {
    const wt = Repository.openSync(`${refsRepo}-wt`)
    const wtGit = (...a) => git(`${refsRepo}-wt`, ...a).toString().trim()
    assert.equal(wt.refs.resolveSync('HEAD').oid, wtGit('rev-parse', 'HEAD'))
    assert.equal(wt.refs.getSync('HEAD').target.name, wtGit('symbolic-ref', 'HEAD'))
    assert.equal(wt.refs.resolveSync('main-worktree/HEAD').oid, git(refsRepo, 'rev-parse', 'HEAD').toString().trim())
    const perWt = wtGit('for-each-ref', '--format=%(refname)', 'refs/worktree/', 'refs/bisect/').split('\n').filter(Boolean)
    assert.ok(perWt.length > 0, 'the fixture has per-worktree refs')
    for (const name of perWt) assert.equal(wt.refs.resolveSync(name).oid, wtGit('rev-parse', name))
    const names = wt.refs.listSync().map((r) => r.name)
    assert.deepEqual(names, wtGit('for-each-ref', '--format=%(refname)').split('\n'))
  })

  test('missing refs and bad names', async () => {
    assert.equal(repo.refs.getSync('refs/heads/nope'), null)
    assert.throws(() => repo.refs.resolveSync('refs/heads/nope'), isCode('ERR_REF_NOT_FOUND'))
    await assert.rejects(repo.refs.resolve('refs/heads/nope'), isCode('ERR_REF_NOT_FOUND'))
    assert.equal(repo.refs.getSync('main'), null, 'a one-level name is read, not refused')
    for (const bad of ['refs/heads/a..b', 'refs/heads/x.lock', 'refs/heads/a@{1}', 'refs/heads/\u0001', 'refs/heads/a b', 'refs/heads/'])
      assert.throws(() => repo.refs.getSync(bad), isCode('ERR_INVALID_REF_NAME'), JSON.stringify(bad))
    await assert.rejects(repo.refs.get('refs/heads/a..b'), isCode('ERR_INVALID_REF_NAME'))
  })
})

describe('broken refs', () => {
  test('loose refs holding garbage, nothing, or "ref: " with no target → ERR_CORRUPT_REF', () => {
    const { r, gitDir } = smallRepo()
    const repo = Repository.openSync(r)
    for (const [name, content] of [['garbage', 'not an oid\n'], ['empty', ''], ['notarget', 'ref: \n'], ['short', 'abc123\n']]) {
      writeFileSync(join(gitDir, 'refs/heads', name), content)
      assert.throws(() => repo.refs.getSync(`refs/heads/${name}`), isCode('ERR_CORRUPT_REF'), name)
      assert.throws(() => repo.refs.resolveSync(`refs/heads/${name}`), isCode('ERR_CORRUPT_REF'), name)
    }
  })

  test('a packed-refs garbage line → ERR_CORRUPT_REF', async () => {
    const { r, gitDir, head } = smallRepo()
    git(r, 'pack-refs', '--all')
    appendFileSync(join(gitDir, 'packed-refs'), 'this is not a ref line\n')
    const repo = Repository.openSync(r)
    assert.throws(() => repo.refs.listSync(), isCode('ERR_CORRUPT_REF'))
    await assert.rejects(repo.refs.list(), isCode('ERR_CORRUPT_REF'))
    // The file is fixed by another process: the next call sees it.
    writeFileSync(join(gitDir, 'packed-refs'), `# pack-refs with: peeled fully-peeled sorted \n${head} refs/heads/main\n`)
    assert.equal(repo.refs.resolveSync('refs/heads/main').oid, head)
  })

  test('a symref loop and a chain of 5 symrefs → ERR_SYMREF_CYCLE; 4 resolve (git reads at most 5 refs)', () => {
    const { r, head } = smallRepo()
    git(r, 'symbolic-ref', 'refs/heads/loop-a', 'refs/heads/loop-b')
    git(r, 'symbolic-ref', 'refs/heads/loop-b', 'refs/heads/loop-a')
    // c0 -> c1 -> ... -> c5 -> main: from c1, five symrefs before main (git fails); from c2, four (git resolves).
    for (let i = 0; i < 6; i++) git(r, 'symbolic-ref', `refs/heads/c${i}`, i === 5 ? 'refs/heads/main' : `refs/heads/c${i + 1}`)
    const repo = Repository.openSync(r)
    assert.throws(() => repo.refs.resolveSync('refs/heads/loop-a'), isCode('ERR_SYMREF_CYCLE'))
    assert.throws(() => repo.refs.getSync('refs/heads/c0'), isCode('ERR_SYMREF_CYCLE'))
    assert.throws(() => repo.refs.getSync('refs/heads/c1'), isCode('ERR_SYMREF_CYCLE'))
    assert.throws(() => git(r, 'rev-parse', '--verify', '-q', 'refs/heads/c1'))
    assert.equal(repo.refs.resolveSync('refs/heads/c2').oid, head)
    assert.equal(git(r, 'rev-parse', '--verify', '-q', 'refs/heads/c2').toString().trim(), head)
    // Listings skip broken refs, as git for-each-ref does.
    assert.deepEqual(repo.refs.listSync().map((x) => x.name), git(r, 'for-each-ref', '--format=%(refname)').toString().trim().split('\n'))
  })

  test('a loose ref that is a symlink out of the repository is refused, never followed', () => {
    const { r, gitDir, head } = smallRepo()
    const outside = join(mkdtempSync(join(tmpdir(), 'ferrogit-outside-')), 'secret')
    temps.push(outside)
    writeFileSync(outside, `${head}\n`)
    symlinkSync(outside, join(gitDir, 'refs/heads/evil'))
    mkdirSync(join(gitDir, 'refs/heads/sub'))
    symlinkSync('../../../../etc/passwd', join(gitDir, 'refs/heads/sub/evil2'))
    const repo = Repository.openSync(r)
    assert.throws(() => repo.refs.getSync('refs/heads/evil'), isCode('ERR_CORRUPT_REF'))
    assert.throws(() => repo.refs.getSync('refs/heads/sub/evil2'), isCode('ERR_CORRUPT_REF'))
  })

  test('an unborn branch: HEAD is symbolic to a new ref with a null oid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrogit-unborn-'))
    temps.push(dir)
    git(dir, 'init', '-q', '-b', 'trunk', 'u')
    const repo = Repository.openSync(join(dir, 'u'))
    const head = repo.refs.getSync('HEAD')
    assert.deepEqual(head.target, { kind: 'direct', name: 'refs/heads/trunk', oid: null, peeled: null, storage: 'new' })
    assert.throws(() => repo.refs.resolveSync('HEAD'), isCode('ERR_REF_NOT_FOUND'))
    assert.deepEqual(repo.refs.listSync(), [])
  })
})
