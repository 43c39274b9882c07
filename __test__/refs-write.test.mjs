// Reference transactions against git: what we write git reads (rev-parse,
// symbolic-ref, reflog, fsck), and every failure mode leaves every ref as it
// was, as git for-each-ref and the files on disk show.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fg from '../index.js'
import { git } from './fixtures/repos.mjs'

const { Repository, GitError } = fg
const temps = []
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))
const isCode = (code) => (e) => e instanceof GitError && e.code === code

process.env.GIT_COMMITTER_NAME = 'Ref Writer'
process.env.GIT_COMMITTER_EMAIL = 'writer@example.com'
process.env.GIT_COMMITTER_DATE = '1700000100 +0200'

/** A repository with three commits on main, a tag, and some packed refs. */
function repoWithHistory() {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-refw-'))
  temps.push(dir)
  git(dir, 'init', '-q', '-b', 'main', 'r')
  const r = join(dir, 'r')
  const commits = []
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(r, 'f'), `${i}\n`)
    git(r, 'add', 'f')
    git(r, 'commit', '-q', '-m', `c${i}`)
    commits.push(git(r, 'rev-parse', 'HEAD').toString().trim())
  }
  git(r, 'tag', '-a', '-m', 'tag', 'v1', commits[0])
  git(r, 'branch', 'packed-only', commits[0])
  git(r, 'branch', 'both', commits[0])
  git(r, 'pack-refs', '--all')
  git(r, 'update-ref', 'refs/heads/both', commits[1])
  return { r, gitDir: join(r, '.git'), commits, repo: Repository.openSync(r) }
}

/** Everything git can see of the refs, to prove "nothing changed". */
function snapshot(r) {
  const gitDir = join(r, '.git')
  return {
    refs: git(r, 'for-each-ref', '--format=%(objectname) %(refname) %(symref)').toString(),
    head: readFileSync(join(gitDir, 'HEAD'), 'utf8'),
    packed: existsSync(join(gitDir, 'packed-refs')) ? readFileSync(join(gitDir, 'packed-refs'), 'utf8') : null,
    locks: findLocks(gitDir),
  }
}

function findLocks(dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.name.endsWith('.lock')) out.push(e.name)
  return out.sort()
}

/** The id git resolves `x` to, or '' when git says it does not exist. */
function revParse(r, x) {
  try {
    return git(r, 'rev-parse', '--verify', '-q', x).toString().trim()
  } catch (e) {
    if (e.status === 1) return ''
    throw e
  }
}
const reflog = (r, name) => git(r, 'reflog', 'show', '--format=%H %gs', name).toString().trim().split('\n')

describe('ref transactions', () => {
  test('update, create, delete, setSymbolic: git reads what we wrote; reflogs both ways', async () => {
    const { r, commits, repo } = repoWithHistory()
    await repo.refs.update('refs/heads/feature', commits[1], { message: 'create feature' })
    assert.equal(revParse(r, 'refs/heads/feature'), commits[1])
    repo.refs.updateSync('refs/heads/feature', commits[2], { expectedOld: commits[1], message: 'move feature' })
    assert.equal(revParse(r, 'refs/heads/feature'), commits[2])
    assert.deepEqual(reflog(r, 'refs/heads/feature'), [`${commits[2]} move feature`, `${commits[1]} create feature`])
    // Our reflog line is git's format: git's own parser reads the committer and date.
    assert.equal(git(r, 'log', '-g', '-1', '--format=%gn <%ge> %gd', '--date=raw', 'refs/heads/feature').toString().trim(),
      'Ref Writer <writer@example.com> feature@{1700000100 +0200}')

    await repo.refs.transaction().create('refs/tags/new-tag', commits[0]).commit()
    assert.equal(revParse(r, 'refs/tags/new-tag'), commits[0])

    repo.refs.setSymbolicSync('refs/heads/alias', 'refs/heads/main', { message: 'alias' })
    assert.equal(git(r, 'symbolic-ref', 'refs/heads/alias').toString().trim(), 'refs/heads/main')
    assert.equal(revParse(r, 'refs/heads/alias'), commits[2])

    await repo.refs.delete('refs/heads/feature', { expectedOld: commits[2] })
    assert.equal(revParse(r, 'refs/heads/feature'), '')
    assert.equal(existsSync(join(r, '.git/logs/refs/heads/feature')), false)
    git(r, 'fsck', '--no-progress')
  })

  test('moving the branch HEAD points to also logs HEAD; updating through HEAD moves the branch', () => {
    const { r, commits, repo } = repoWithHistory()
    const before = reflog(r, 'HEAD').length
    repo.refs.updateSync('refs/heads/main', commits[0], { message: 'reset main' })
    assert.equal(revParse(r, 'main'), commits[0])
    assert.equal(reflog(r, 'HEAD')[0], `${commits[0]} reset main`)
    assert.equal(reflog(r, 'HEAD').length, before + 1)
    repo.refs.updateSync('HEAD', commits[2], { message: 'via HEAD' })
    assert.equal(git(r, 'symbolic-ref', 'HEAD').toString().trim(), 'refs/heads/main', 'HEAD stays symbolic')
    assert.equal(revParse(r, 'main'), commits[2])
    assert.equal(reflog(r, 'main')[0], `${commits[2]} via HEAD`)
    assert.equal(reflog(r, 'HEAD')[0], `${commits[2]} via HEAD`)
    // We read git's reflogs too.
    git(r, 'update-ref', '-m', 'by git', 'refs/heads/main', commits[1])
  })

  test('deleting a packed-only ref rewrites packed-refs; a loose-over-packed ref goes from both', () => {
    const { r, gitDir, commits, repo } = repoWithHistory()
    assert.equal(repo.refs.getSync('refs/heads/packed-only').storage, 'packed')
    assert.equal(repo.refs.getSync('refs/heads/both').storage, 'loose-packed')
    repo.refs.deleteSync('refs/heads/packed-only')
    repo.refs.deleteSync('refs/heads/both', { expectedOld: commits[1] })
    assert.equal(revParse(r, 'refs/heads/packed-only'), '')
    assert.equal(revParse(r, 'refs/heads/both'), '')
    const packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8')
    assert.ok(!packed.includes('refs/heads/packed-only') && !packed.includes('refs/heads/both'))
    assert.ok(packed.startsWith('# pack-refs with: peeled fully-peeled sorted \n'))
    assert.match(packed, /\n\^[0-9a-f]{40}\n/, 'the annotated tag keeps its peeled line')
    assert.deepEqual(findLocks(gitDir), [])
    git(r, 'fsck', '--no-progress')
  })

  test('every failure leaves every ref as it was', async () => {
    const { r, gitDir, commits, repo } = repoWithHistory()
    const cases = [
      ['create on an existing ref', () => repo.refs.transaction().create('refs/heads/main', commits[0]), 'ERR_REF_EXISTS'],
      ['wrong expectedOld', () => repo.refs.transaction().update('refs/heads/main', commits[0], { expectedOld: commits[0] }), 'ERR_REF_CONFLICT'],
      ['expectedOld null on an existing ref', () => repo.refs.transaction().update('refs/heads/main', commits[0], { expectedOld: null }), 'ERR_REF_CONFLICT'],
      ['delete with a wrong expectedOld', () => repo.refs.transaction().delete('refs/heads/packed-only', { expectedOld: commits[2] }), 'ERR_REF_CONFLICT'],
      ['verify a missing ref', () => repo.refs.transaction().verify('refs/heads/nope', commits[0]), 'ERR_REF_CONFLICT'],
      ['a/b against an existing a', () => repo.refs.transaction().update('refs/heads/main/sub', commits[0]), 'ERR_REF_NAME_CONFLICT'],
      ['a against an existing a/b', () => repo.refs.transaction().update('refs/heads', commits[0]), 'ERR_REF_NAME_CONFLICT'],
      ['a and a/b in one transaction', () => repo.refs.transaction().update('refs/heads/x', commits[0]).update('refs/heads/x/y', commits[0]), 'ERR_REF_NAME_CONFLICT'],
      ['a packed a against a/b', () => repo.refs.transaction().update('refs/heads/packed-only/z', commits[0]), 'ERR_REF_NAME_CONFLICT'],
      ['an invalid name', () => repo.refs.transaction().update('refs/heads/a..b', commits[0]), 'ERR_INVALID_REF_NAME'],
      ['a missing object', () => repo.refs.transaction().update('refs/heads/ghost', 'e'.repeat(40)), 'ERR_OBJECT_NOT_FOUND'],
      // All or nothing: the good edits of a failing transaction are not applied.
      ['one bad edit among good ones', () => repo.refs.transaction()
        .update('refs/heads/good1', commits[0])
        .delete('refs/heads/packed-only')
        .update('refs/heads/main', commits[0], { expectedOld: commits[1] })
        .setSymbolic('refs/heads/good2', 'refs/heads/main'), 'ERR_REF_CONFLICT'],
    ]
    for (const [what, make, code] of cases) {
      const before = snapshot(r)
      await assert.rejects(make().commit(), isCode(code), `${what} (Promise)`)
      assert.throws(() => make().commitSync(), isCode(code), `${what} (Sync)`)
      assert.deepEqual(snapshot(r), before, `${what}: nothing changed`)
    }
    // A stale lock left by a crashed process: ERR_REF_LOCKED, nothing changed, lock untouched.
    writeFileSync(join(gitDir, 'refs/heads/main.lock'), '')
    const before = snapshot(r)
    assert.throws(() => repo.refs.transaction().update('refs/heads/aaa', commits[0]).update('refs/heads/main', commits[0]).commitSync(), isCode('ERR_REF_LOCKED'))
    assert.deepEqual(snapshot(r), before)
    assert.ok(!existsSync(join(gitDir, 'refs/heads/aaa.lock')), 'locks taken before the failure are released')
    rmSync(join(gitDir, 'refs/heads/main.lock'))
    // packed-refs.lock held: a delete of a packed ref fails the same way.
    writeFileSync(join(gitDir, 'packed-refs.lock'), '')
    assert.throws(() => repo.refs.deleteSync('refs/heads/packed-only'), isCode('ERR_REF_LOCKED'))
    rmSync(join(gitDir, 'packed-refs.lock'))
    git(r, 'fsck', '--no-progress')
  })

  test('a transaction can only be committed once; abort writes nothing', () => {
    const { r, commits, repo } = repoWithHistory()
    const tx = repo.refs.transaction().update('refs/heads/once', commits[0])
    tx.commitSync()
    assert.throws(() => tx.commitSync(), isCode('ERR_INTERNAL'))
    const tx2 = repo.refs.transaction().update('refs/heads/never', commits[0])
    tx2.abort()
    assert.equal(revParse(r, 'refs/heads/never'), '')
  })
})

describe('reflog, packRefs and watch', () => {
  test('reflog() reads git-written and our entries, newest first', async () => {
    const { r, commits, repo } = repoWithHistory()
    git(r, 'update-ref', '-m', 'by git', 'refs/heads/main', commits[0])
    repo.refs.updateSync('refs/heads/main', commits[1], { message: 'by ferrogit' })
    const ours = await repo.refs.reflog('refs/heads/main')
    const theirs = git(r, 'reflog', 'show', '--format=%H %gs', 'refs/heads/main').toString().trim().split('\n')
    assert.deepEqual(ours.map((e) => `${e.newOid} ${e.message}`), theirs)
    assert.equal(ours[0].oldOid, commits[0])
    assert.equal(ours[0].committer.email, 'writer@example.com')
    assert.deepEqual(repo.refs.reflogSync('HEAD').map((e) => e.newOid), git(r, 'reflog', 'show', '--format=%H', 'HEAD').toString().trim().split('\n'))
    assert.deepEqual(repo.refs.reflogSync('refs/heads/no-log'), [])
  })

  test('packRefs gives the packed-refs git pack-refs gives', async () => {
    const a = repoWithHistory()
    // The same refs in a second repository: a clone of the first one's refs.
    const dir = mkdtempSync(join(tmpdir(), 'ferrogit-pack-'))
    temps.push(dir)
    git(dir, 'clone', '-q', '--mirror', a.r, 'b.git')
    const bGit = join(dir, 'b.git')
    for (const n of ['refs/heads/x/y', 'refs/tags/light']) {
      git(a.r, 'update-ref', n, a.commits[2])
      git(bGit, 'update-ref', n, a.commits[2])
    }
    git(a.r, 'pack-refs', '--all')
    const b = Repository.openSync(bGit)
    await b.refs.packRefs({ all: true })
    assert.equal(readFileSync(join(bGit, 'packed-refs'), 'utf8'), readFileSync(join(a.gitDir, 'packed-refs'), 'utf8'))
    assert.ok(!existsSync(join(bGit, 'refs/heads/x/y')), 'loose files pruned')
    git(bGit, 'fsck', '--no-progress')
  })

  test('watch() reports changes made by git and by us', async () => {
    const { r, commits, repo } = repoWithHistory()
    const seen = []
    const w = repo.refs.watch((changes) => seen.push(...changes), { pollMs: 20, prefix: 'refs/heads/' })
    // Wait for each change to be reported (bounded), not a fixed time: robust on a busy machine.
    const until = async (n) => {
      for (let t = 0; seen.length < n && t < 250; t++) await new Promise((res) => setTimeout(res, 20))
    }
    git(r, 'update-ref', 'refs/heads/watched', commits[0])
    await until(1)
    repo.refs.deleteSync('refs/heads/watched')
    await until(2)
    w.close()
    assert.deepEqual(seen, [
      { name: 'refs/heads/watched', oldOid: null, newOid: commits[0] },
      { name: 'refs/heads/watched', oldOid: commits[0], newOid: null },
    ])
  })
})

describe('linked worktrees', () => {
  test('per-worktree refs are written to the worktree, shared refs to the common dir, as git sees them', () => {
    const { r, commits } = repoWithHistory()
    const wtPath = join(r, '..', 'wt')
    git(r, 'worktree', 'add', '-q', '--detach', wtPath, commits[0])
    const wt = Repository.openSync(wtPath)
    const wtGitDir = wt.gitDir
    wt.refs.updateSync('refs/worktree/mine', commits[1])
    wt.refs.updateSync('refs/bisect/bad', commits[2])
    wt.refs.updateSync('refs/heads/from-wt', commits[1], { message: 'made in a worktree' })
    wt.refs.updateSync('HEAD', commits[2])
    // Where the files went.
    assert.ok(existsSync(join(wtGitDir, 'refs/worktree/mine')))
    assert.ok(existsSync(join(wtGitDir, 'refs/bisect/bad')))
    assert.ok(existsSync(join(r, '.git/refs/heads/from-wt')))
    // What git sees from each side.
    const inWt = (...a) => git(wtPath, ...a).toString().trim()
    assert.equal(inWt('rev-parse', 'refs/worktree/mine'), commits[1])
    assert.equal(inWt('rev-parse', 'HEAD'), commits[2])
    assert.equal(revParse(r, 'HEAD'), commits[2], 'main worktree HEAD untouched (main is at c2)')
    assert.equal(revParse(r, 'refs/worktree/mine'), '', 'not visible from the main worktree')
    assert.equal(revParse(r, 'refs/heads/from-wt'), commits[1])
    assert.equal(inWt('rev-parse', 'main-worktree/HEAD'), wt.refs.resolveSync('main-worktree/HEAD').oid)
    // The main worktree reaches the linked one's refs through worktrees/<id>/.
    const id = wtGitDir.split('/').pop()
    const main = Repository.openSync(r)
    assert.equal(main.refs.resolveSync(`worktrees/${id}/HEAD`).oid, commits[2])
    assert.equal(main.refs.resolveSync(`worktrees/${id}/refs/worktree/mine`).oid, commits[1])
    git(r, 'fsck', '--no-progress')
  })
})

test('without GIT_COMMITTER_DATE, reflog entries carry the local time zone, as git writes them', async () => {
  const { r, commits } = repoWithHistory()
  const { execFileSync } = await import('node:child_process')
  const script = `const fg = require(${JSON.stringify(join(process.cwd(), 'index.js'))});` +
    `fg.Repository.openSync(${JSON.stringify(r)}).refs.updateSync('refs/heads/tz', ${JSON.stringify(commits[0])}, { message: 'tz' })`
  const env = { ...process.env, TZ: 'Asia/Kolkata' }
  delete env.GIT_COMMITTER_DATE
  execFileSync(process.execPath, ['-e', script], { env })
  const line = readFileSync(join(r, '.git/logs/refs/heads/tz'), 'utf8')
  assert.match(line, / \+0530\ttz\n$/)
  git(r, 'update-ref', '-m', 'git', 'refs/heads/tz2', commits[0], { env: { ...env } })
  assert.match(readFileSync(join(r, '.git/logs/refs/heads/tz2'), 'utf8'), / \+0530\tgit\n$/, 'git writes the same zone')
})

test('the reflog names the user from the global config when the repository has none, as git does', async () => {
  const { r, commits } = repoWithHistory()
  const { execFileSync } = await import('node:child_process')
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-global-'))
  temps.push(dir)
  const globalFile = join(dir, 'gitconfig')
  writeFileSync(globalFile, '[user]\n\tname = Global Person\n\temail = global@example.com\n')
  const env = { ...process.env, GIT_CONFIG_GLOBAL: globalFile }
  for (const k of ['GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE']) delete env[k]
  const script = `const fg = require(${JSON.stringify(join(process.cwd(), 'index.js'))});` +
    `fg.Repository.openSync(${JSON.stringify(r)}).refs.updateSync('refs/heads/g', ${JSON.stringify(commits[0])}, { message: 'g' })`
  execFileSync(process.execPath, ['-e', script], { env })
  git(r, 'update-ref', '-m', 'g2', 'refs/heads/g2', commits[0], { env })
  const who = (n) => git(r, 'log', '-g', '-1', '--format=%gn <%ge>', n).toString().trim()
  assert.equal(who('refs/heads/g'), 'Global Person <global@example.com>')
  assert.equal(who('refs/heads/g'), who('refs/heads/g2'))
})
