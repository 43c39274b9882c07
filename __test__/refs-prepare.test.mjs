// Prepared transactions, --no-deref edits, one-link symbolic reads and the
// compact listing, each checked against git: git sees our locks while a
// transaction is prepared, and our no-deref edits give the files and reflogs
// git's `update-ref --no-deref` gives.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import fg from '../index.js'
import { git, gitEnv } from './fixtures/repos.mjs'

const { Repository, GitError } = fg
const temps = []
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))
const isCode = (code) => (e) => e instanceof GitError && e.code === code

// Our reflog entries name the committer git's do (gitEnv), so files compare equal.
for (const k of ['GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE']) process.env[k] = gitEnv[k]

/** main with three commits, an annotated tag, a packed-only branch, and a symbolic ref. */
function makeRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-prep-'))
  temps.push(dir)
  git(dir, 'init', '-q', '-b', 'main', 'r')
  const r = join(dir, 'r')
  const c = []
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(r, 'f'), `${i}\n`)
    git(r, 'add', 'f')
    git(r, 'commit', '-q', '-m', `c${i}`)
    c.push(git(r, 'rev-parse', 'HEAD').toString().trim())
  }
  git(r, 'tag', '-a', '-m', 'tag', 'v1', c[0])
  git(r, 'branch', 'packed-only', c[0])
  git(r, 'pack-refs', '--all')
  git(r, 'symbolic-ref', 'refs/heads/sym', 'refs/heads/main')
  return { dir, r, gitDir: join(r, '.git'), c }
}

/** A second copy of `r`, for running the same steps through git. */
function copy(r) {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-prep-copy-'))
  temps.push(dir)
  cpSync(r, join(dir, 'r'), { recursive: true })
  return join(dir, 'r')
}

const revParse = (r, x) => spawnSync('git', ['-C', r, 'rev-parse', '-q', '--verify', x], { encoding: 'utf8', env: gitEnv }).stdout.trim()
const gitFails = (r, ...args) => spawnSync('git', ['-C', r, ...args], { encoding: 'utf8', env: gitEnv }).status !== 0

/** What git shows of the refs and the reflogs of the given names. */
function seen(r, logs) {
  return {
    refs: git(r, 'for-each-ref', '--format=%(objectname) %(refname) %(symref)').toString(),
    head: readFileSync(join(r, '.git', 'HEAD'), 'utf8'),
    logs: logs.map((n) => (existsSync(join(r, '.git', 'logs', n)) ? readFileSync(join(r, '.git', 'logs', n), 'utf8') : null)),
  }
}

describe('prepared transactions', () => {
  test('prepare holds every lock as git sees it; commit then writes', () => {
    const { r, gitDir, c } = makeRepo()
    const repo = Repository.openSync(r)
    const tx = repo.refs.transaction().update('refs/heads/main', c[0], { expectedOld: c[2] }).delete('refs/heads/packed-only')
    tx.prepareSync()
    assert.ok(existsSync(join(gitDir, 'refs/heads/main.lock')), 'main is locked')
    assert.ok(existsSync(join(gitDir, 'refs/heads/packed-only.lock')), 'packed-only is locked')
    assert.ok(existsSync(join(gitDir, 'packed-refs.lock')), 'deleting a packed ref locks packed-refs')
    assert.ok(gitFails(r, 'update-ref', 'refs/heads/main', c[1]), 'git cannot move a ref we hold')
    assert.equal(revParse(r, 'refs/heads/main'), c[2], 'nothing written yet')
    assert.throws(() => tx.update('refs/heads/x', c[0]), isCode('ERR_INTERNAL'), 'no edits after prepare')
    tx.commitSync()
    assert.equal(revParse(r, 'refs/heads/main'), c[0])
    assert.equal(revParse(r, 'refs/heads/packed-only'), '')
    assert.ok(!existsSync(join(gitDir, 'refs/heads/main.lock')) && !existsSync(join(gitDir, 'packed-refs.lock')), 'locks released')
    assert.equal(git(r, 'fsck', '--no-progress').toString(), '')
    assert.throws(() => tx.commitSync(), isCode('ERR_INTERNAL'), 'committed once only')
  })

  test('await prepare(), then abort() releases the locks and changes nothing', async () => {
    const { r, gitDir, c } = makeRepo()
    const repo = Repository.openSync(r)
    const before = seen(r, ['refs/heads/main', 'HEAD'])
    const tx = repo.refs.transaction().update('HEAD', c[1])
    await tx.prepare()
    assert.ok(existsSync(join(gitDir, 'refs/heads/main.lock')), 'HEAD is followed to main, which is locked')
    tx.abort()
    assert.ok(!existsSync(join(gitDir, 'refs/heads/main.lock')))
    assert.deepEqual(seen(r, ['refs/heads/main', 'HEAD']), before)
    assert.throws(() => tx.commitSync(), isCode('ERR_INTERNAL'))
    // git can move it now.
    git(r, 'update-ref', 'refs/heads/main', c[1])
    assert.equal(revParse(r, 'main'), c[1])
  })

  test('abort() while prepare() is still running drops the locks when it finishes', async () => {
    const { r, gitDir, c } = makeRepo()
    const repo = Repository.openSync(r)
    const tx = repo.refs.transaction().update('refs/heads/main', c[0])
    const p = tx.prepare()
    tx.abort()
    await p
    assert.ok(!existsSync(join(gitDir, 'refs/heads/main.lock')))
    assert.equal(revParse(r, 'main'), c[2])
  })

  test('a failing prepare holds nothing and changes nothing, with the commit codes', async () => {
    const { r, gitDir, c } = makeRepo()
    const repo = Repository.openSync(r)
    const before = seen(r, ['refs/heads/main'])
    const wrongOld = repo.refs.transaction().update('refs/heads/new', c[0]).update('refs/heads/main', c[0], { expectedOld: c[1] })
    assert.throws(() => wrongOld.prepareSync(), isCode('ERR_REF_CONFLICT'))
    assert.throws(() => wrongOld.commitSync(), isCode('ERR_INTERNAL'), 'a failed prepare ends the transaction')
    await assert.rejects(repo.refs.transaction().create('refs/heads/main', c[0]).prepare(), isCode('ERR_REF_EXISTS'))
    writeFileSync(join(gitDir, 'refs/heads/main.lock'), '')
    await assert.rejects(repo.refs.transaction().update('refs/heads/main', c[0]).prepare(), isCode('ERR_REF_LOCKED'))
    rmSync(join(gitDir, 'refs/heads/main.lock'))
    assert.deepEqual(seen(r, ['refs/heads/main']), before)
  })

  test('two prepared transactions on one ref: the second gets ERR_REF_LOCKED', () => {
    const { r, c } = makeRepo()
    const a = Repository.openSync(r).refs.transaction().update('refs/heads/main', c[0])
    const b = Repository.openSync(r).refs.transaction().update('refs/heads/main', c[1])
    a.prepareSync()
    assert.throws(() => b.prepareSync(), isCode('ERR_REF_LOCKED'))
    a.commitSync()
    assert.equal(revParse(r, 'main'), c[0])
  })
})

describe('noDeref (git update-ref --no-deref)', () => {
  test('updating a symbolic ref itself gives the files and reflogs git gives', () => {
    const { r, c } = makeRepo()
    const g = copy(r)
    git(g, 'update-ref', '--no-deref', '-m', 'detach', 'HEAD', c[1], c[2])
    Repository.openSync(r).refs.updateSync('HEAD', c[1], { noDeref: true, expectedOld: c[2], message: 'detach' })
    assert.deepEqual(seen(r, ['HEAD', 'refs/heads/main']), seen(g, ['HEAD', 'refs/heads/main']))
    assert.equal(readFileSync(join(r, '.git/HEAD'), 'utf8'), `${c[1]}\n`, 'HEAD is detached')
    assert.equal(revParse(r, 'main'), c[2], 'main did not move')
  })

  test('the expected old value of a symbolic ref is what it resolves to', () => {
    const { r, c } = makeRepo()
    const repo = Repository.openSync(r)
    assert.ok(gitFails(copy(r), 'update-ref', '--no-deref', 'refs/heads/sym', c[0], c[1]), 'git refuses too')
    assert.throws(() => repo.refs.updateSync('refs/heads/sym', c[0], { noDeref: true, expectedOld: c[1] }), isCode('ERR_REF_CONFLICT'))
    assert.equal(git(r, 'symbolic-ref', 'refs/heads/sym').toString().trim(), 'refs/heads/main')
  })

  test('deleting a symbolic ref itself leaves its target, as git does', async () => {
    const { r, c } = makeRepo()
    const g = copy(r)
    git(g, 'update-ref', '--no-deref', '-d', 'refs/heads/sym')
    await Repository.openSync(r).refs.delete('refs/heads/sym', { noDeref: true })
    assert.deepEqual(seen(r, ['refs/heads/main', 'refs/heads/sym']), seen(g, ['refs/heads/main', 'refs/heads/sym']))
    assert.equal(revParse(r, 'main'), c[2])
    // Without noDeref, a delete follows the symbolic ref to main, as git does.
    const h = copy(g)
    git(h, 'symbolic-ref', 'refs/heads/sym2', 'refs/heads/packed-only')
    git(g, 'symbolic-ref', 'refs/heads/sym2', 'refs/heads/packed-only')
    git(h, 'update-ref', '-d', 'refs/heads/sym2')
    Repository.openSync(g).refs.deleteSync('refs/heads/sym2')
    assert.deepEqual(seen(g, ['refs/heads/packed-only']), seen(h, ['refs/heads/packed-only']))
  })

  test('in a transaction', () => {
    const { r, c } = makeRepo()
    const g = copy(r)
    git(g, 'update-ref', '--no-deref', '--stdin', { input: `update refs/heads/sym ${c[0]}\n` })
    Repository.openSync(r).refs.transaction().update('refs/heads/sym', c[0], { noDeref: true }).commitSync()
    assert.deepEqual(seen(r, ['refs/heads/sym', 'refs/heads/main']), seen(g, ['refs/heads/sym', 'refs/heads/main']))
  })
})

describe('readSymbolic (git symbolic-ref --no-recurse)', () => {
  test('one link, on chains git cannot resolve too', async () => {
    const { r, gitDir } = makeRepo()
    git(r, 'symbolic-ref', 'refs/heads/l1', 'refs/heads/l2')
    git(r, 'symbolic-ref', 'refs/heads/l2', 'refs/heads/l1')
    git(r, 'symbolic-ref', 'refs/heads/s2', 'refs/heads/sym')
    const repo = Repository.openSync(r)
    for (const name of ['HEAD', 'refs/heads/sym', 'refs/heads/s2', 'refs/heads/l1', 'refs/heads/l2']) {
      const want = git(r, 'symbolic-ref', '--no-recurse', name).toString().trim()
      assert.equal(repo.refs.readSymbolicSync(name), want, name)
      assert.equal(await repo.refs.readSymbolic(name), want, name)
    }
    assert.throws(() => repo.refs.getSync('refs/heads/l1'), isCode('ERR_SYMREF_CYCLE'))
    for (const name of ['refs/heads/main', 'refs/heads/packed-only', 'refs/tags/v1', 'refs/heads/missing']) {
      assert.ok(gitFails(r, 'symbolic-ref', '--no-recurse', name), `git: ${name} is not symbolic`)
      assert.equal(repo.refs.readSymbolicSync(name), null, name)
    }
    writeFileSync(join(gitDir, 'refs/heads/garbage'), 'not a ref\n')
    assert.throws(() => repo.refs.readSymbolicSync('refs/heads/garbage'), isCode('ERR_CORRUPT_REF'))
    assert.throws(() => repo.refs.readSymbolicSync('refs/heads/a..b'), isCode('ERR_INVALID_REF_NAME'))
  })
})

describe('listing', () => {
  test('every field of every ref equals for-each-ref, non-ASCII names and peeled tags included', async () => {
    const { r, c } = makeRepo()
    git(r, 'update-ref', 'refs/heads/ünïcödé/ß', c[1])
    git(r, 'tag', '-a', '-m', 'loose tag', 'v2-loose', c[1])
    git(r, 'update-ref', 'refs/heads/packed-only', c[2])
    git(r, 'symbolic-ref', 'refs/heads/zz-dangling', 'refs/heads/nowhere')
    const repo = Repository.openSync(r)
    const want = git(r, 'for-each-ref', '--format=%(refname)%00%(objectname)%00%(symref)')
      .toString()
      .trim()
      .split('\n')
      .map((l) => l.split('\0'))
    for (const list of [repo.refs.listSync(), await repo.refs.list()]) {
      assert.deepEqual(
        list.filter((x) => x.name !== 'refs/heads/zz-dangling').map((x) => [x.name, x.kind === 'direct' ? x.oid : '', x.kind === 'symbolic' ? x.target.name : '']),
        want.map(([n, o, s]) => [n, s ? '' : o, s]),
      )
      const byName = new Map(list.map((x) => [x.name, x]))
      // Peeled ids: packed-refs records them for packed tags; a loose tag has none recorded.
      assert.equal(byName.get('refs/tags/v1').peeled, c[0])
      assert.equal(byName.get('refs/tags/v1').storage, 'packed')
      assert.equal(byName.get('refs/tags/v2-loose').peeled, null)
      assert.equal(byName.get('refs/tags/v2-loose').storage, 'loose')
      assert.equal(byName.get('refs/heads/packed-only').storage, 'loose-packed')
      assert.deepEqual(byName.get('refs/heads/zz-dangling'), {
        kind: 'symbolic',
        name: 'refs/heads/zz-dangling',
        storage: 'loose',
        target: { kind: 'direct', name: 'refs/heads/nowhere', oid: null, peeled: null, storage: 'new' },
      })
      assert.deepEqual(byName.get('refs/heads/sym').target, repo.refs.getSync('refs/heads/main'))
    }
    assert.deepEqual(repo.refs.listSync('refs/nothing/'), [])
    assert.deepEqual(repo.refs.listSync('refs/heads/ünïcödé/').map((x) => x.name), ['refs/heads/ünïcödé/ß'])
  })
})

test("the reflog names the user of an includeIf gitdir: file in the repository's config, as git does", () => {
  const { r, c } = makeRepo()
  const g = copy(r)
  for (const repo of [r, g]) {
    const dir = join(repo, '.git')
    writeFileSync(join(dir, 'who.inc'), '[user]\n\tname = Included Name\n\temail = included@example.com\n')
    git(repo, 'config', `includeIf.gitdir:${dir}.path`, 'who.inc')
  }
  const saved = {}
  for (const k of ['GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL']) saved[k] = process.env[k]
  delete process.env.GIT_COMMITTER_NAME
  delete process.env.GIT_COMMITTER_EMAIL
  process.env.GIT_CONFIG_NOSYSTEM = '1'
  process.env.GIT_CONFIG_GLOBAL = '/dev/null'
  try {
    Repository.openSync(r).refs.updateSync('refs/heads/main', c[0], { message: 'inc' })
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  const env = { ...gitEnv }
  delete env.GIT_COMMITTER_NAME
  delete env.GIT_COMMITTER_EMAIL
  git(g, 'update-ref', '-m', 'inc', 'refs/heads/main', c[0], { env })
  const last = (repo) => readFileSync(join(repo, '.git/logs/refs/heads/main'), 'utf8').trim().split('\n').pop()
  assert.match(last(g), /Included Name <included@example.com>/)
  assert.equal(last(r), last(g))
})
