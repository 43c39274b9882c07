// Writing objects (writeBlob / writeTree / writeCommit / writeTag), moving a ref
// with git commit's reflog entry, Repository.init and Repository.inMemory — each
// checked against the git CLI: the same ids and bytes as `git hash-object`,
// `git mktree`, `git commit-tree`, `git tag -a` / `git mktag`, the same reflog
// lines as `git commit`, the same files as `git init`.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  mkdtempSync, mkdirSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync, statSync, utimesSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { pathToFileURL, fileURLToPath } from 'node:url'
import fg from '../index.js'
import { git, gitEnv } from './fixtures/repos.mjs'

const { Repository, GitError } = fg
const temps = []
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))
const isCode = (code) => (e) => e instanceof GitError && e.code === code

// Our reflog entries name the committer git's do, and our init reads the same
// (empty) system and global config git does here.
for (const k of ['GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE', 'GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL']) {
  process.env[k] = gitEnv[k]
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
const F = 0o100644
const X = 0o100755
const L = 0o120000
const D = 0o040000
const G = 0o160000

/** The identities of gitEnv, as SignatureInputs. */
const AUTHOR = { name: gitEnv.GIT_AUTHOR_NAME, email: gitEnv.GIT_AUTHOR_EMAIL, seconds: 1700000000, offset: 60 }
const COMMITTER = { name: gitEnv.GIT_COMMITTER_NAME, email: gitEnv.GIT_COMMITTER_EMAIL, seconds: 1700000000, offset: 60 }

/** `+hhmm` for an offset in minutes east of UTC. */
const tz = (m) => `${m < 0 ? '-' : '+'}${String(Math.floor(Math.abs(m) / 60)).padStart(2, '0')}${String(Math.abs(m) % 60).padStart(2, '0')}`
/** git's environment for these identities. */
const identityEnv = (author, committer = author) => ({
  ...gitEnv,
  GIT_AUTHOR_NAME: author.name,
  GIT_AUTHOR_EMAIL: author.email,
  GIT_AUTHOR_DATE: `${author.seconds} ${tz(author.offset)}`,
  GIT_COMMITTER_NAME: committer.name,
  GIT_COMMITTER_EMAIL: committer.email,
  GIT_COMMITTER_DATE: `${committer.seconds} ${tz(committer.offset)}`,
})

function tempDir(tag) {
  const d = mkdtempSync(join(tmpdir(), `ferrogit-write-${tag}-`))
  temps.push(d)
  return d
}

/** A fresh bare repository made by git (branch main), opened. */
function bare() {
  const r = join(tempDir('bare'), 'r.git')
  git(tempDir('cwd'), 'init', '-q', '--bare', '-b', 'main', r)
  return { r, repo: Repository.openSync(r) }
}

/** A fresh non-bare repository made by git (branch main); `gitDir` is its .git. */
function workTree(tag = 'wt') {
  const r = join(tempDir(tag), 'r')
  git(tempDir('cwd'), 'init', '-q', '-b', 'main', r)
  return { r, gitDir: join(r, '.git') }
}

const out = (buf) => buf.toString().trim()
const gitRun = (cwd, args, opts = {}) => spawnSync('git', args, { cwd, env: gitEnv, ...opts })
/** git hash-object (-w) of `data` in `r`. */
const gitHash = (r, data, write = false, type = 'blob') =>
  out(git(r, 'hash-object', ...(write ? ['-w'] : []), '-t', type, '--stdin', { input: data }))
const catFile = (r, type, oid) => git(r, 'cat-file', type, oid)
const fsckClean = (r) => {
  const p = gitRun(r, ['fsck', '--strict', '--no-dangling', '--no-progress'], { encoding: 'utf8' })
  assert.equal(p.status, 0, `git fsck --strict: ${p.stdout}${p.stderr}`)
  // Notices (an unborn HEAD, no refs) are about the refs, not the objects.
  const said = (p.stdout + p.stderr).split('\n').filter((l) => l && !l.startsWith('notice:'))
  assert.deepEqual(said, [], 'git fsck --strict reports nothing')
}

/** Every loose object file of the git dir `gitDir` (relative paths, sorted). */
function looseObjects(gitDir) {
  const objects = join(gitDir, 'objects')
  const found = []
  for (const d of readdirSync(objects)) {
    if (!/^[0-9a-f]{2}$/.test(d)) continue
    for (const f of readdirSync(join(objects, d))) found.push(`${d}/${f}`)
  }
  return found.sort()
}
const looseFile = (gitDir, oid) => join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2))

/** A `git mktree` input line. */
const mktreeLine = (e) => {
  const type = e.mode === D ? 'tree' : e.mode === G ? 'commit' : 'blob'
  return `${e.mode.toString(8).padStart(6, '0')} ${type} ${e.oid}\t${e.name}\n`
}
const gitMktree = (r, entries) => out(git(r, 'mktree', { input: entries.map(mktreeLine).join('') }))
/** `git ls-tree -z` of `rev` as [mode, type, oid, name] rows. */
const lsTree = (r, ...args) =>
  git(r, 'ls-tree', '-z', ...args)
    .toString()
    .split('\0')
    .filter(Boolean)
    .map((l) => {
      const [meta, name] = l.split('\t')
      return [...meta.split(' '), name]
    })

// ---------------------------------------------------------------------------

describe('writeBlob', () => {
  const cases = [
    ['a Buffer', Buffer.from('hello\n')],
    ['a string (UTF-8)', 'héllo wörld ✓ 𝄞\n'],
    ['an empty string', ''],
    ['an empty Buffer', Buffer.alloc(0)],
    ['binary with NULs and every byte value', Buffer.concat([Buffer.from([0, 0, 255, 0]), Buffer.from(Array.from({ length: 256 }, (_, i) => i))])],
    ['no trailing newline', 'no newline'],
    ['a Uint8Array view into a larger buffer', new Uint8Array(Buffer.from('xxinsidexx').buffer, Buffer.from('xxinsidexx').byteOffset + 2, 6)],
    ['1 MiB of random bytes', randomBytes(1 << 20)],
  ]

  test('the id git hash-object gives, and git cat-file returns the bytes (sync and async)', async () => {
    const { r, repo } = bare()
    for (const [what, data] of cases) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      const want = gitHash(r, bytes)
      assert.equal(repo.hashObject('blob', data), want, `${what}: hashObject`)
      const a = repo.writeBlobSync(data)
      const b = await repo.writeBlob(data)
      assert.equal(a, want, `${what}: writeBlobSync`)
      assert.equal(b, want, `${what}: writeBlob`)
      assert.ok(catFile(r, 'blob', want).equals(bytes), `${what}: git cat-file blob`)
      assert.equal(out(git(r, 'cat-file', '-t', want)), 'blob')
      assert.ok(repo.getBlobSync(want).content().equals(bytes), `${what}: read back`)
    }
    // The empty blob is git's well-known one.
    assert.equal(repo.writeBlobSync(''), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391')
    fsckClean(r)
  })

  test('a loose object has the file mode git gives its loose objects', () => {
    const { r, repo } = bare()
    const ours = repo.writeBlobSync('ours\n')
    const theirs = gitHash(r, 'theirs\n', true)
    assert.equal(statSync(looseFile(r, ours)).mode & 0o7777, statSync(looseFile(r, theirs)).mode & 0o7777)
  })

  test('an existing loose object is not rewritten (same inode, mtime, bytes)', async () => {
    const { r, repo } = bare()
    const data = 'already there\n'
    const id = gitHash(r, data, true)
    const file = looseFile(r, id)
    const old = new Date('2001-02-03T04:05:06Z')
    utimesSync(file, old, old)
    const before = statSync(file)
    const bytes = readFileSync(file)
    assert.equal(repo.writeBlobSync(data), id)
    assert.equal(await repo.writeBlob(Buffer.from(data)), id)
    const now = statSync(file)
    assert.equal(now.ino, before.ino, 'same inode')
    assert.equal(now.mtimeMs, before.mtimeMs, 'same mtime')
    assert.ok(readFileSync(file).equals(bytes), 'same bytes')
    assert.deepEqual(looseObjects(r), [`${id.slice(0, 2)}/${id.slice(2)}`], 'nothing else written')
    // And one we wrote ourselves, written again.
    const mine = repo.writeBlobSync('mine\n')
    utimesSync(looseFile(r, mine), old, old)
    const ino = statSync(looseFile(r, mine)).ino
    assert.equal(await repo.writeBlob('mine\n'), mine)
    assert.equal(statSync(looseFile(r, mine)).ino, ino)
    assert.equal(statSync(looseFile(r, mine)).mtimeMs, old.getTime())
  })

  /** A blob git wrote and packed (no loose objects left). */
  function packedBlob() {
    const { r } = bare()
    const data = 'packed\n'
    const id = gitHash(r, data, true)
    git(r, 'update-ref', 'refs/tags/packed-blob', id) // reachable, so repack packs it
    git(r, 'repack', '-adq')
    assert.deepEqual(looseObjects(r), [])
    return { r, data, id, repo: Repository.openSync(r) }
  }

  test('an object already in a pack: the same id, still readable', async () => {
    const { r, data, id, repo } = packedBlob()
    assert.ok(repo.hasObject(id))
    assert.equal(repo.writeBlobSync(data), id)
    assert.equal(await repo.writeBlob(data), id)
    assert.equal(catFile(r, 'blob', id).toString(), data)
    fsckClean(r)
  })

  test('an object already in a pack gets no loose copy, as with git hash-object -w', () => {
    const { r, data, id, repo } = packedBlob()
    assert.equal(gitHash(r, data, true), id)
    assert.deepEqual(looseObjects(r), [], 'git writes no loose copy')
    assert.equal(repo.writeBlobSync(data), id)
    assert.deepEqual(looseObjects(r), [], 'nor should we')
  })

  test('data that is neither a Buffer nor a string is refused, nothing written', async () => {
    const { r, repo } = bare()
    for (const bad of [123, null, undefined, {}, ['a']]) {
      assert.throws(() => repo.writeBlobSync(bad), (e) => e instanceof Error && !(e instanceof GitError), String(bad))
      await assert.rejects(async () => repo.writeBlob(bad), (e) => e instanceof Error && !(e instanceof GitError), String(bad))
    }
    assert.deepEqual(looseObjects(r), [])
  })

  test('a non-Buffer/string argument is a TypeError, as other malformed arguments are', () => {
    const { repo } = bare()
    assert.throws(() => repo.writeBlobSync(123), TypeError)
  })
})

// ---------------------------------------------------------------------------

describe('writeTree', () => {
  /** A repository with two blobs, a subtree and a target for a symlink. */
  function setup() {
    const { r, repo } = bare()
    const b = repo.writeBlobSync('hello\n')
    const b2 = repo.writeBlobSync('other\n')
    const target = repo.writeBlobSync('a.b')
    const sub = repo.writeTreeSync([{ name: 'x', mode: F, oid: b }])
    return { r, repo, b, b2, target, sub }
  }

  test('entries given unsorted come out in git order: the id and bytes of git mktree', async () => {
    const { r, repo, b, b2, target, sub } = setup()
    const gitlink = '1234567890abcdef1234567890abcdef12345678'
    // 'a' as a file sorts before 'a-', 'a.b', 'a0'; as a directory it sorts as 'a/', between 'a.b' and 'a0'.
    const withFile = [
      { name: 'a0', mode: F, oid: b },
      { name: 'a.b', mode: X, oid: b2 },
      { name: 'a-', mode: F, oid: b },
      { name: 'a', mode: F, oid: b },
    ]
    const withDir = [
      { name: 'é', mode: F, oid: b },
      { name: 'sm', mode: G, oid: gitlink },
      { name: 'a0', mode: F, oid: b },
      { name: 'link', mode: L, oid: target },
      { name: 'a.b', mode: X, oid: b2 },
      { name: 'a', mode: D, oid: sub },
      { name: 'Z', mode: F, oid: b },
      { name: 'a-', mode: F, oid: b },
    ]
    for (const [entries, order] of [
      [withFile, ['a', 'a-', 'a.b', 'a0']],
      [withDir, ['Z', 'a-', 'a.b', 'a', 'a0', 'link', 'sm', 'é']],
    ]) {
      const want = gitMktree(r, entries)
      assert.equal(repo.writeTreeSync(entries), want)
      assert.equal(await repo.writeTree([...entries].reverse()), want, 'input order does not matter')
      assert.equal(repo.hashObject('tree', catFile(r, 'tree', want)), want)
      const ls = lsTree(r, want)
      assert.deepEqual(ls.map((x) => x[3]), order, 'git ls-tree order')
      // Each entry as given (mode, type, oid), as git ls-tree shows it.
      const byName = new Map(entries.map((e) => [e.name, e]))
      for (const [mode, type, oid, name] of ls) {
        const e = byName.get(name)
        assert.equal(mode, e.mode.toString(8).padStart(6, '0'), name)
        assert.equal(type, e.mode === D ? 'tree' : e.mode === G ? 'commit' : 'blob', name)
        assert.equal(oid, e.oid, name)
      }
      assert.deepEqual(repo.getTreeSync(want).entries.map((e) => e.name), order, 'read back in the same order')
    }
    // A tree-mode entry is stored as "40000" (no leading zero), as git writes it.
    const raw = catFile(r, 'tree', repo.writeTreeSync([{ name: 'd', mode: D, oid: sub }]))
    assert.equal(raw.subarray(0, 8).toString(), '40000 d\0')
    fsckClean(r)
  })

  test('the empty tree, a mode given as an octal string, sync and async', async () => {
    const { r, repo, b } = setup()
    assert.equal(repo.writeTreeSync([]), EMPTY_TREE)
    assert.equal(await repo.writeTree([]), EMPTY_TREE)
    assert.equal(out(git(r, 'mktree', { input: '' })), EMPTY_TREE)
    assert.equal(repo.writeTreeSync([{ name: 'f', mode: '100755', oid: b }]), gitMktree(r, [{ name: 'f', mode: X, oid: b }]))
  })

  test('refused entries: the code, nothing written, and git fsck --strict objects to each such tree', async () => {
    const { r, repo, b, b2, target, sub } = setup()
    const missing = repo.hashObject('blob', 'never written\n')
    const missingTree = repo.hashObject('tree', Buffer.from(`100644 zz\0${'\x11'.repeat(20)}`, 'latin1'))
    const cases = [
      ['an empty name', [{ name: '', mode: F, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ["'.'", [{ name: '.', mode: F, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ["'..'", [{ name: '..', mode: D, oid: sub }], 'ERR_CORRUPT_OBJECT'],
      ["'.git'", [{ name: '.git', mode: F, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ["'.GIT'", [{ name: '.GIT', mode: D, oid: sub }], 'ERR_CORRUPT_OBJECT'],
      ["'.Git' as a file", [{ name: '.Git', mode: F, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ["'git~1' (NTFS short name)", [{ name: 'git~1', mode: F, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ["'a/b'", [{ name: 'a/b', mode: F, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ["'a\\0b'", [{ name: 'a\0b', mode: F, oid: b }], 'ERR_CORRUPT_OBJECT', 'no git check: a NUL ends the name in a tree'],
      ['a duplicate name', [{ name: 'a', mode: F, oid: b }, { name: 'c', mode: F, oid: b }, { name: 'a', mode: F, oid: b2 }], 'ERR_CORRUPT_OBJECT'],
      ['the same name as a file and a directory', [{ name: 'a', mode: F, oid: b }, { name: 'a', mode: D, oid: sub }], 'ERR_CORRUPT_OBJECT'],
      ['mode 100664', [{ name: 'a', mode: 0o100664, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ['mode 644', [{ name: 'a', mode: 0o644, oid: b }], 'ERR_CORRUPT_OBJECT'],
      ['mode 40755', [{ name: 'a', mode: 0o40755, oid: sub }], 'ERR_CORRUPT_OBJECT'],
      ['the null id', [{ name: 'a', mode: F, oid: '0'.repeat(40) }], 'ERR_CORRUPT_OBJECT'],
      ['.gitmodules as a symlink', [{ name: '.gitmodules', mode: L, oid: target }], 'ERR_CORRUPT_OBJECT'],
      ['a missing blob', [{ name: 'ok', mode: F, oid: b }, { name: 'gone', mode: F, oid: missing }], 'ERR_OBJECT_NOT_FOUND'],
      ['a missing subtree', [{ name: 'gone', mode: D, oid: missingTree }], 'ERR_OBJECT_NOT_FOUND'],
      ['a directory naming a blob', [{ name: 'd', mode: D, oid: b }], 'ERR_OBJECT_TYPE'],
      ['a file naming a tree', [{ name: 'f', mode: F, oid: sub }], 'ERR_OBJECT_TYPE'],
    ]
    const before = looseObjects(r)
    for (const [what, entries, code, noGit] of cases) {
      assert.throws(() => repo.writeTreeSync(entries), isCode(code), what)
      await assert.rejects(repo.writeTree(entries), isCode(code), what)
      assert.deepEqual(looseObjects(r), before, `${what}: nothing written`)
      if (noGit) continue
      // The tree git would get, byte for byte, stored by git in a scratch repository
      // holding the same blobs: git's fsck --strict reports it.
      const s = join(tempDir('fsck'), 's.git')
      git(tmpdir(), 'init', '-q', '--bare', s)
      for (const data of ['hello\n', 'other\n', 'a.b']) gitHash(s, data, true)
      gitMktree(s, [{ name: 'x', mode: F, oid: b }])
      const raw = Buffer.concat(
        entries.map((e) => Buffer.concat([Buffer.from(`${e.mode.toString(8)} ${e.name}\0`), Buffer.from(e.oid, 'hex')])),
      )
      git(s, 'hash-object', '-w', '--literally', '-t', 'tree', '--stdin', { input: raw })
      const p = gitRun(s, ['fsck', '--strict', '--no-dangling', '--no-progress'], { encoding: 'utf8' })
      assert.ok(p.status !== 0 || p.stderr !== '', `${what}: git fsck --strict objects too (${p.status} ${p.stderr})`)
    }
    // git mktree itself refuses these too.
    assert.notEqual(gitRun(r, ['mktree'], { input: `100644 blob ${b}\ta/b\n` }).status, 0, 'git mktree: a/b')
    assert.notEqual(gitRun(r, ['mktree'], { input: `100644 blob ${missing}\tgone\n` }).status, 0, 'git mktree: missing')
    assert.notEqual(gitRun(r, ['mktree'], { input: `040000 tree ${b}\td\n` }).status, 0, 'git mktree: wrong type')
  })

  test('malformed arguments are TypeErrors (or ERR_INVALID_OID for a bad id), nothing written', async () => {
    const { r, repo, b } = setup()
    const before = looseObjects(r)
    for (const [what, arg] of [
      ['not an array', 'x'],
      ['an object', { name: 'a', mode: F, oid: b }],
      ['an entry that is not an object', [1]],
      ['a name that is not a string', [{ name: 1, mode: F, oid: b }]],
      ['no oid', [{ name: 'a', mode: F }]],
      ['no mode', [{ name: 'a', oid: b }]],
      ['a mode string that is not octal', [{ name: 'a', mode: '100689', oid: b }]],
    ]) {
      assert.throws(() => repo.writeTreeSync(arg), TypeError, what)
      await assert.rejects(async () => repo.writeTree(arg), TypeError, what)
    }
    assert.throws(() => repo.writeTreeSync([{ name: 'a', mode: F, oid: 'xyz' }]), isCode('ERR_INVALID_OID'))
    assert.deepEqual(looseObjects(r), before)
  })

  test('a mode that is not a whole number is refused', () => {
    const { repo, b } = setup()
    assert.throws(() => repo.writeTreeSync([{ name: 'a', mode: F + 0.7, oid: b }]), TypeError)
  })
})

// ---------------------------------------------------------------------------

describe('writeCommit', () => {
  /** A bare repository with a root commit c0, main → c1 (child of c0), side → s (child of c0). */
  function history() {
    const { r, repo } = bare()
    const b = gitHash(r, 'content\n', true)
    const t = gitMktree(r, [{ name: 'f', mode: F, oid: b }])
    const env = { env: identityEnv(AUTHOR, COMMITTER) }
    assert.equal(gitMktree(r, []), EMPTY_TREE) // stored (see 'the empty tree needs not be stored')
    const c0 = out(git(r, 'commit-tree', t, '-m', 'c0', env))
    const c1 = out(git(r, 'commit-tree', t, '-p', c0, '-m', 'c1', env))
    const s = out(git(r, 'commit-tree', EMPTY_TREE, '-p', c0, '-m', 'side', env))
    git(r, 'update-ref', 'refs/heads/main', c1)
    git(r, 'update-ref', 'refs/heads/side', s)
    return { r, repo: Repository.openSync(r), t, c0, c1, s }
  }

  /** `git commit-tree` with the message on stdin (kept byte for byte). */
  const commitTree = (r, tree, parents, author, committer, message) =>
    out(git(r, 'commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), { input: message, env: identityEnv(author, committer) }))

  test('the bytes git commit-tree writes: offsets +0530, -0800, 0; messages as given', async () => {
    const { r, repo, t, c1 } = history()
    const cases = [
      [330, -480, 'subject\n\nbody line\n'],
      [-480, 330, 'no trailing newline'],
      [0, 0, ''],
      [60, -60, 'one\ntwo\n'],
      [-150, 345, 'trailing blank lines\n\n\n'],
      [0, 840, '  leading spaces and unicode é ✓ 𝄞\n'],
    ]
    for (const [i, [ao, co, message]] of cases.entries()) {
      const author = { name: 'Ann Author', email: 'ann@example.com', seconds: 1600000000 + i, offset: ao }
      const committer = { name: 'Cid Committer', email: 'cid@example.com', seconds: 1650000000 + i, offset: co }
      const want = commitTree(r, t, [c1], author, committer, message)
      const input = { tree: t, parents: [c1], author, committer, message }
      const got = i % 2 ? repo.writeCommitSync(input) : await repo.writeCommit(input)
      assert.equal(got, want, JSON.stringify(message))
      const raw = catFile(r, 'commit', want)
      assert.ok(raw.subarray(raw.length - Buffer.byteLength(message)).equals(Buffer.from(message)), 'the message is stored as given')
      assert.match(raw.toString(), new RegExp(`^author Ann Author <ann@example.com> ${1600000000 + i} \\${tz(ao)}$`, 'm'))
      const c = repo.getCommitSync(got)
      assert.equal(c.message, message)
      assert.equal(c.author.offset, ao)
      assert.equal(c.committer.offset, co)
    }
    // ±99:59, beyond what git's date parser takes from GIT_*_DATE (it writes +0000), as fsck accepts it.
    const far = repo.writeCommitSync({ tree: t, parents: [c1], author: { ...AUTHOR, offset: 5999 }, committer: { ...COMMITTER, offset: -5999 }, message: 'far\n' })
    const farRaw = `tree ${t}\nparent ${c1}\nauthor Test Author <author@example.com> 1700000000 +9959\ncommitter Test Committer <committer@example.com> 1700000000 -9959\n\nfar\n`
    assert.ok(catFile(r, 'commit', far).equals(Buffer.from(farRaw)))
    fsckClean(r)
  })

  test('committer defaults to the author; a root commit; parents and tree as revisions; a merge', async () => {
    const { r, repo, t, c0, c1, s } = history()
    // No committer: git commit-tree with the committer identity = the author's.
    assert.equal(repo.writeCommitSync({ tree: t, parents: [c1], author: AUTHOR, message: 'x\n' }), commitTree(r, t, [c1], AUTHOR, AUTHOR, 'x\n'))
    // A root commit (parents omitted or empty).
    const root = commitTree(r, t, [], AUTHOR, COMMITTER, 'root\n')
    assert.equal(repo.writeCommitSync({ tree: t, parents: [], author: AUTHOR, committer: COMMITTER, message: 'root\n' }), root)
    assert.equal(await repo.writeCommit({ tree: t, author: AUTHOR, committer: COMMITTER, message: 'root\n' }), root)
    // Parents and tree given as revisions, as git commit-tree takes them.
    const revs = ['HEAD~1', 'side', c1.slice(0, 10)]
    const want = commitTree(r, 'main^{tree}', revs, AUTHOR, COMMITTER, 'octopus\n')
    assert.equal(await repo.writeCommit({ tree: 'main^{tree}', parents: revs, author: AUTHOR, committer: COMMITTER, message: 'octopus\n' }), want)
    assert.deepEqual(repo.getCommitSync(want).parentIds, [c0, s, c1])
    // A merge of two parents.
    const merge = commitTree(r, t, [c1, s], AUTHOR, COMMITTER, 'Merge side\n')
    assert.equal(repo.writeCommitSync({ tree: t, parents: ['main', 'refs/heads/side'], author: AUTHOR, committer: COMMITTER, message: 'Merge side\n' }), merge)
    assert.equal(out(git(r, 'rev-list', '--parents', '-n1', merge)), `${merge} ${c1} ${s}`)
    fsckClean(r)
  })

  test('a parent given twice is dropped, as git commit-tree drops it', () => {
    const { r, repo, t, c1 } = history()
    const dupGit = commitTree(r, t, [c1, 'main'], AUTHOR, COMMITTER, 'dup\n')
    assert.equal(out(git(r, 'rev-list', '--parents', '-n1', dupGit)), `${dupGit} ${c1}`, 'git: "duplicate parent … ignored"')
    assert.equal(repo.writeCommitSync({ tree: t, parents: [c1, 'main'], author: AUTHOR, committer: COMMITTER, message: 'dup\n' }), dupGit)
  })

  test('the empty tree needs not be stored, as git knows it', () => {
    const { r, repo } = bare()
    assert.deepEqual(looseObjects(r), [])
    assert.equal(out(git(r, 'cat-file', '-t', EMPTY_TREE)), 'tree', 'git knows the empty tree without storing it')
    const want = commitTree(r, EMPTY_TREE, [], AUTHOR, COMMITTER, 'empty\n')
    assert.equal(repo.writeCommitSync({ tree: EMPTY_TREE, author: AUTHOR, committer: COMMITTER, message: 'empty\n' }), want)
    assert.equal(repo.writeTreeSync([{ name: 'e', mode: D, oid: EMPTY_TREE }]), gitMktree(r, [{ name: 'e', mode: D, oid: EMPTY_TREE }]))
  })

  test('refused: missing or wrong-typed tree and parents, bad identities (GitError); malformed input (TypeError); nothing written', async () => {
    const { r, repo, t, c1 } = history()
    const blob = gitHash(r, 'content\n')
    const missing = repo.hashObject('commit', 'nothing\n')
    const before = looseObjects(r)
    const base = { tree: t, parents: [c1], author: AUTHOR, message: 'm\n' }
    const refused = [
      ['a missing tree', { ...base, tree: missing }],
      ['an unknown tree revision', { ...base, tree: 'nope' }],
      ['a blob as the tree', { ...base, tree: blob }],
      ['a missing parent', { ...base, parents: [missing] }],
      ['a tree as a parent', { ...base, parents: [t] }],
      ['< in the author name', { ...base, author: { ...AUTHOR, name: 'a<b' } }],
      ['> in the committer email', { ...base, committer: { ...COMMITTER, email: 'x>y' } }],
      ['a newline in the author name', { ...base, author: { ...AUTHOR, name: 'a\nb' } }],
      ['a time before 1970', { ...base, author: { ...AUTHOR, seconds: -1 } }],
    ]
    for (const [what, input] of refused) {
      assert.throws(() => repo.writeCommitSync(input), GitError, what)
      await assert.rejects(repo.writeCommit(input), GitError, what)
    }
    assert.throws(() => repo.writeCommitSync(refused[5][1]), isCode('ERR_CORRUPT_OBJECT'))
    assert.throws(() => repo.writeCommitSync(refused[3][1]), (e) => e instanceof GitError && ['ERR_OBJECT_NOT_FOUND', 'ERR_INVALID_REVISION'].includes(e.code))
    // git commit-tree refuses the same.
    for (const args of [[missing], ['nope'], [blob], [t, '-p', missing], [t, '-p', t]]) {
      assert.notEqual(gitRun(r, ['commit-tree', ...args], { input: 'm\n' }).status, 0, `git commit-tree ${args.join(' ')}`)
    }
    const malformed = [
      ['not an object', 'x'],
      ['no tree', { ...base, tree: undefined }],
      ['parents not an array', { ...base, parents: c1 }],
      ['a parent that is not a string', { ...base, parents: [1] }],
      ['no author', { ...base, author: undefined }],
      ['an author without email', { ...base, author: { name: 'x' } }],
      ['seconds not whole', { ...base, author: { ...AUTHOR, seconds: 1.5 } }],
      ['seconds not a number', { ...base, author: { ...AUTHOR, seconds: '1700000000' } }],
      ['offset of 100 hours', { ...base, author: { ...AUTHOR, offset: 6000 } }],
      ['offset not whole', { ...base, committer: { ...COMMITTER, offset: 0.5 } }],
      ['a message that is not a string', { ...base, message: Buffer.from('m') }],
      ['updateRef not a string', { ...base, updateRef: 1 }],
    ]
    for (const [what, input] of malformed) {
      assert.throws(() => repo.writeCommitSync(input), TypeError, what)
      await assert.rejects(async () => repo.writeCommit(input), TypeError, what)
    }
    assert.deepEqual(looseObjects(r), before, 'nothing written')
  })

  // The reflog lines our updateRef writes, against git commit's for the very same commits.
  describe('updateRef', () => {
    const logs = (gitDir) =>
      Object.fromEntries(
        ['HEAD', 'refs/heads/main', 'refs/heads/side'].map((n) => [n, existsSync(join(gitDir, 'logs', n)) ? readFileSync(join(gitDir, 'logs', n), 'utf8') : null]),
      )
    const seen = (r) => ({
      logs: logs(join(r, '.git')),
      head: readFileSync(join(r, '.git', 'HEAD'), 'utf8'),
      refs: out(git(r, 'for-each-ref', '--format=%(objectname) %(refname)')),
      reflog: out(git(r, 'reflog', '--format=%H %gs')),
      history: out(git(r, 'log', '--format=%H %P %s')),
    })
    /** `git commit` in `r` of `files` (name → content) with `message` verbatim; optionally a merge of `mergeHead`. */
    function gitCommit(r, files, message, mergeHead) {
      for (const [name, content] of Object.entries(files)) writeFileSync(join(r, name), content)
      git(r, 'add', '-A')
      if (mergeHead) writeFileSync(join(r, '.git', 'MERGE_HEAD'), `${mergeHead}\n`)
      git(r, 'commit', '-q', '--allow-empty', '--cleanup=verbatim', '-F', '-', { input: message })
      return out(git(r, 'rev-parse', 'HEAD'))
    }
    /** Our writeCommit of `files` as a one-level tree. */
    async function ourCommit(repo, files, parents, message, updateRef = 'HEAD', sync = false) {
      const entries = []
      for (const [name, content] of Object.entries(files)) entries.push({ name, mode: F, oid: await repo.writeBlob(content) })
      const tree = repo.writeTreeSync(entries)
      const c = { tree, parents, author: AUTHOR, committer: COMMITTER, message, updateRef }
      return sync ? repo.writeCommitSync(c) : repo.writeCommit(c)
    }
    /** side: a commit made with plumbing in both repositories alike (same id, same reflog). */
    // (From HEAD~1: git commit would reduce a MERGE_HEAD that descends from HEAD to a fast-forward.)
    const makeSide = (r) => {
      const s = out(git(r, 'commit-tree', 'HEAD^{tree}', '-p', 'HEAD~1', '-m', 'side work', { env: identityEnv(AUTHOR, COMMITTER) }))
      git(r, 'update-ref', 'refs/heads/side', s)
      return s
    }

    test("'HEAD' on a fresh repository, a second commit, a merge: the reflogs git commit writes", async () => {
      const g = workTree('git')
      const o = workTree('ours')
      const repo = Repository.openSync(o.r)
      // A root commit: "commit (initial): …".
      const files1 = { f: 'hello\n' }
      const c1 = gitCommit(g.r, files1, 'first commit\n')
      assert.equal(await ourCommit(repo, files1, [], 'first commit\n'), c1, 'the same commit')
      assert.deepEqual(logs(o.gitDir), logs(g.gitDir))
      // A second commit: "commit: …" (subject only).
      const files2 = { f: 'hello\nworld\n', g: 'g\n' }
      const c2 = gitCommit(g.r, files2, 'second commit\n\nwith a body\nof two lines\n')
      assert.equal(await ourCommit(repo, files2, ['HEAD'], 'second commit\n\nwith a body\nof two lines\n', 'HEAD', true), c2)
      assert.deepEqual(logs(o.gitDir), logs(g.gitDir))
      // A merge: git commit with MERGE_HEAD writes "commit (merge): …".
      const s = makeSide(g.r)
      assert.equal(makeSide(o.r), s)
      const m = gitCommit(g.r, files2, 'Merge branch side\n', s)
      assert.equal(await ourCommit(repo, files2, ['HEAD', 'side'], 'Merge branch side\n'), m)
      // Whitespace runs in the subject are squeezed, as git does for reflog messages.
      const c4 = gitCommit(g.r, files2, 'tabs\tand   spaces  \n', undefined)
      assert.equal(await ourCommit(repo, files2, [m], 'tabs\tand   spaces  \n'), c4)
      const a = seen(o.r)
      const b = seen(g.r)
      assert.deepEqual(a, b)
      assert.match(b.logs.HEAD, /\tcommit \(initial\): first commit\n/)
      assert.match(b.logs.HEAD, /\tcommit \(merge\): Merge branch side\n/)
      // What the library reads back.
      const entries = repo.refs.reflogSync('HEAD')
      assert.deepEqual(entries.map((e) => e.message), ['commit: tabs and spaces', 'commit (merge): Merge branch side', 'commit: second commit', 'commit (initial): first commit'])
      assert.deepEqual({ ...entries[0].committer, date: undefined }, { ...COMMITTER, date: undefined })
      fsckClean(o.r)
    })

    test("the reflog subject is the message's first line, as git commit writes it", async () => {
      const g = workTree('git')
      const o = workTree('ours')
      const repo = Repository.openSync(o.r)
      const message = 'subject line one\nsubject line two\n\nbody\n'
      const c = gitCommit(g.r, { f: 'x\n' }, message)
      assert.equal(await ourCommit(repo, { f: 'x\n' }, [], message), c)
      assert.deepEqual(logs(o.gitDir), logs(g.gitDir))
    })

    // git commit writes its reflog line under the identity and time it commits
    // with; ours names the environment's committer (git var GIT_COMMITTER_IDENT),
    // as git commit-tree + git update-ref would. The same whenever the two agree
    // (every test above); a commit with an explicit other committer differs.
    test("a commit by another committer: the reflog line git commit writes for it", async () => {
      const other = { name: 'Other Person', email: 'other@example.com', seconds: 1600000000, offset: 120 }
      const g = workTree('git')
      const o = workTree('ours')
      writeFileSync(join(g.r, 'f'), 'x\n')
      git(g.r, 'add', 'f')
      git(g.r, 'commit', '-q', '--cleanup=verbatim', '-F', '-', { input: 'by other\n', env: identityEnv(AUTHOR, other) })
      const repo = Repository.openSync(o.r)
      const tree = repo.writeTreeSync([{ name: 'f', mode: F, oid: repo.writeBlobSync('x\n') }])
      const c = repo.writeCommitSync({ tree, parents: [], author: AUTHOR, committer: other, message: 'by other\n', updateRef: 'HEAD' })
      assert.equal(c, out(git(g.r, 'rev-parse', 'HEAD')))
      assert.deepEqual(logs(o.gitDir), logs(g.gitDir))
    })

    test("'refs/heads/main' directly: the reflogs git commit-tree + update-ref -m write (HEAD's too)", () => {
      const g = workTree('git')
      const o = workTree('ours')
      const repo = Repository.openSync(o.r)
      repo.writeTreeSync([]) // (stored: see 'the empty tree needs not be stored')
      const env = { env: identityEnv(AUTHOR, COMMITTER) }
      const c1 = out(git(g.r, 'commit-tree', EMPTY_TREE, '-m', 'one', env))
      git(g.r, 'update-ref', '-m', 'commit (initial): one', 'refs/heads/main', c1, '')
      const c2 = out(git(g.r, 'commit-tree', EMPTY_TREE, '-p', c1, '-m', 'two', env))
      git(g.r, 'update-ref', '-m', 'commit: two', 'refs/heads/main', c2, c1)
      const base = { tree: EMPTY_TREE, author: AUTHOR, committer: COMMITTER, updateRef: 'refs/heads/main' }
      assert.equal(repo.writeCommitSync({ ...base, parents: [], message: 'one\n' }), c1)
      assert.equal(repo.writeCommitSync({ ...base, parents: [c1], message: 'two\n' }), c2)
      assert.deepEqual(seen(o.r), seen(g.r))
      assert.notEqual(logs(o.gitDir).HEAD, null)
    })

    test('a ref that moved meanwhile: ERR_REF_CONFLICT, the ref and its reflogs unchanged (the commit object is stored)', async () => {
      const { r, gitDir } = workTree()
      const repo = Repository.openSync(r)
      repo.writeTreeSync([])
      const c1 = await ourCommit(repo, { f: '1\n' }, [], 'one\n')
      // git commits meanwhile.
      const moved = gitCommit(r, { f: 'git\n' }, 'by git\n')
      const before = seen(r)
      for (const sync of [true, false]) {
        const attempt = ourCommit(repo, { f: `ours ${sync}\n` }, [c1], 'stale\n', 'HEAD', sync)
        await assert.rejects(async () => attempt, isCode('ERR_REF_CONFLICT'))
      }
      assert.deepEqual(seen(r), before)
      assert.equal(out(git(r, 'rev-parse', 'HEAD')), moved)
      // Documented: the commit is written before the ref is moved, so it stays (dangling).
      const dangling = repo.writeCommitSync({ tree: EMPTY_TREE, parents: [c1], author: AUTHOR, committer: COMMITTER, message: 'stale2\n' })
      assert.throws(
        () => repo.writeCommitSync({ tree: EMPTY_TREE, parents: [c1], author: AUTHOR, committer: COMMITTER, message: 'stale2\n', updateRef: 'HEAD' }),
        isCode('ERR_REF_CONFLICT'),
      )
      assert.equal(out(git(r, 'cat-file', '-t', dangling)), 'commit')
      // A root commit onto an existing ref, and a child commit onto a ref that does not exist.
      assert.throws(() => repo.writeCommitSync({ tree: EMPTY_TREE, parents: [], author: AUTHOR, message: 'root\n', updateRef: 'HEAD' }), isCode('ERR_REF_CONFLICT'))
      assert.throws(
        () => repo.writeCommitSync({ tree: EMPTY_TREE, parents: [c1], author: AUTHOR, message: 'x\n', updateRef: 'refs/heads/nope' }),
        isCode('ERR_REF_CONFLICT'),
      )
      // A locked ref, an invalid ref name.
      writeFileSync(join(gitDir, 'refs/heads/main.lock'), '')
      assert.throws(() => repo.writeCommitSync({ tree: EMPTY_TREE, parents: [moved], author: AUTHOR, message: 'x\n', updateRef: 'HEAD' }), isCode('ERR_REF_LOCKED'))
      rmSync(join(gitDir, 'refs/heads/main.lock'))
      assert.throws(() => repo.writeCommitSync({ tree: EMPTY_TREE, parents: [moved], author: AUTHOR, message: 'x\n', updateRef: 'refs/heads/a..b' }), isCode('ERR_INVALID_REF_NAME'))
      assert.deepEqual(seen(r), before)
      // From the right parent it moves.
      const ok = await ourCommit(repo, { f: 'ok\n' }, ['HEAD'], 'ok\n')
      assert.equal(out(git(r, 'rev-parse', 'HEAD')), ok)
    })
  })
})

// ---------------------------------------------------------------------------

describe('writeTag', () => {
  function setup() {
    const { r, repo } = bare()
    const blob = gitHash(r, 'tagged blob\n', true)
    const tree = gitMktree(r, [{ name: 'f', mode: F, oid: blob }])
    const commit = out(git(r, 'commit-tree', tree, '-m', 'tagged', { env: identityEnv(AUTHOR, COMMITTER) }))
    git(r, 'update-ref', 'refs/heads/main', commit)
    return { r, repo, blob, tree, commit }
  }

  test('the bytes git tag -a writes (and git mktag accepts) for a commit, a tree, a blob, a tag', async () => {
    const { r, repo, blob, tree, commit } = setup()
    const tagger = { name: 'Tig Tagger', email: 'tig@example.com', seconds: 1710000000, offset: 330 }
    const env = identityEnv(AUTHOR, tagger)
    const msgFile = join(tempDir('msg'), 'm')
    let i = 0
    for (const [kind, target, message] of [
      ['commit', commit, 'release 1\n\nnotes\n'],
      ['tree', tree, 'a tree, no trailing newline'],
      ['blob', blob, 'a blob\n'],
      ['commit', 'main', 'by revision\n'],
    ]) {
      const name = `v-${kind}-${i++}`
      writeFileSync(msgFile, message)
      git(r, 'tag', '-a', '--cleanup=verbatim', '-F', msgFile, name, target, { env })
      const want = out(git(r, 'rev-parse', `refs/tags/${name}`))
      const input = { target, name, tagger, message }
      const got = i % 2 ? repo.writeTagSync(input) : await repo.writeTag(input)
      assert.equal(got, want, name)
      const raw = catFile(r, 'tag', want)
      assert.equal(out(git(r, 'mktag', { input: raw })), want, 'git mktag gives the same id')
      const t = repo.getTagSync(got)
      assert.equal(t.targetType, kind)
      assert.equal(t.name, name)
      assert.equal(t.message, message)
    }
    // A tag of a tag.
    const inner = out(git(r, 'rev-parse', 'refs/tags/v-blob-2'))
    writeFileSync(msgFile, 'nested\n')
    git(r, 'tag', '-a', '--cleanup=verbatim', '-F', msgFile, 'nested', inner, { env })
    assert.equal(repo.writeTagSync({ target: inner, name: 'nested', tagger, message: 'nested\n' }), out(git(r, 'rev-parse', 'refs/tags/nested')))
    assert.equal(repo.getTagSync('nested').targetType, 'tag')
    // Other offsets, as mktag takes them.
    for (const offset of [-480, 0, 5999, -5999]) {
      const raw = `object ${commit}\ntype commit\ntag tz\ntagger Tig Tagger <tig@example.com> 1710000000 ${tz(offset)}\n\nm\n`
      assert.equal(repo.writeTagSync({ target: commit, name: 'tz', tagger: { ...tagger, offset }, message: 'm\n' }), out(git(r, 'mktag', { input: raw })))
    }
    fsckClean(r)
  })

  test('names: refused exactly when git check-ref-format refuses refs/tags/<name> (ERR_INVALID_REF_NAME, nothing written)', async () => {
    const { r, repo, commit } = setup()
    const before = looseObjects(r)
    const names = ['a..b', 'a b', 'x.lock', 'a~1', 'a^b', 'a:b', 'a?b', 'a*b', 'a[b', '', '/x', 'x/', 'a//b', '.x', 'x.', '@{x', 'a\\b', '@', 'v1.0', 'nested/name', 'ünï', 'a\tb']
    let ok = 0
    for (const name of names) {
      const valid = gitRun(r, ['check-ref-format', `refs/tags/${name}`]).status === 0
      const input = { target: commit, name, tagger: COMMITTER, message: 'm\n' }
      if (valid) {
        ok++
        assert.match(repo.writeTagSync(input), /^[0-9a-f]{40}$/, name)
      } else {
        assert.throws(() => repo.writeTagSync(input), isCode('ERR_INVALID_REF_NAME'), JSON.stringify(name))
        await assert.rejects(repo.writeTag(input), isCode('ERR_INVALID_REF_NAME'), JSON.stringify(name))
      }
    }
    assert.ok(ok >= 3 && ok < names.length, 'both kinds are exercised')
    assert.equal(looseObjects(r).length, before.length + ok)
  })

  test('refused: a missing target (ERR_OBJECT_NOT_FOUND), malformed input (TypeError), nothing written', async () => {
    const { r, repo, commit } = setup()
    const before = looseObjects(r)
    const missing = repo.hashObject('commit', 'nothing\n')
    assert.throws(() => repo.writeTagSync({ target: missing, name: 'v', tagger: COMMITTER, message: '' }), isCode('ERR_OBJECT_NOT_FOUND'))
    await assert.rejects(repo.writeTag({ target: 'nope', name: 'v', tagger: COMMITTER, message: '' }), GitError)
    assert.throws(() => repo.writeTagSync({ target: commit, name: 'v', tagger: { ...COMMITTER, email: 'a<b' }, message: '' }), isCode('ERR_CORRUPT_OBJECT'))
    for (const input of [
      'x',
      { target: commit, name: 'v', message: '' },
      { target: commit, name: 1, tagger: COMMITTER, message: '' },
      { name: 'v', tagger: COMMITTER, message: '' },
      { target: commit, name: 'v', tagger: COMMITTER },
    ]) {
      assert.throws(() => repo.writeTagSync(input), TypeError, JSON.stringify(input))
      await assert.rejects(async () => repo.writeTag(input), TypeError)
    }
    assert.deepEqual(looseObjects(r), before)
  })
})

// ---------------------------------------------------------------------------

describe('Repository.init', () => {
  const files = (gitDir) =>
    Object.fromEntries(['HEAD', 'config', 'description', 'info/exclude'].map((f) => [f, readFileSync(join(gitDir, f), 'utf8')]))
  const dirs = (gitDir) => ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags'].filter((d) => statSync(join(gitDir, d)).isDirectory())

  test('non-bare, initialBranch: what git init -b writes; git status and git commit work; openSync sees the commit', () => {
    const base = tempDir('init')
    const path = join(base, 'deep', 'w')
    const repo = Repository.initSync(path, { initialBranch: 'trunk' })
    git(base, 'init', '-q', '-b', 'trunk', join(base, 'g'))
    assert.deepEqual(files(join(path, '.git')), files(join(base, 'g', '.git')))
    assert.deepEqual(dirs(join(path, '.git')), dirs(join(base, 'g', '.git')))
    assert.equal(repo.isBare, false)
    assert.equal(repo.gitDir, join(path, '.git'))
    assert.equal(repo.workdir.replace(/\/$/, ''), path)
    assert.equal(out(git(path, 'rev-parse', '--is-bare-repository')), 'false')
    assert.equal(out(git(path, 'symbolic-ref', 'HEAD')), 'refs/heads/trunk')
    assert.equal(git(path, 'status').toString(), git(join(base, 'g'), 'status').toString())
    writeFileSync(join(path, 'f'), 'x\n')
    git(path, 'add', 'f')
    git(path, 'commit', '-q', '-m', 'first')
    git(path, 'commit', '-q', '--allow-empty', '-m', 'second')
    const head = out(git(path, 'rev-parse', 'HEAD'))
    assert.equal(Repository.openSync(path).getCommitSync('HEAD').oid, head)
    assert.equal(repo.revParseSync('HEAD'), head, 'the repository init returned sees it too')
    assert.equal(repo.readPathSync('HEAD', 'f').text(), 'x\n')
    fsckClean(path)
  })

  test('bare (async): what git init --bare writes; a commit made by git is seen', async () => {
    const base = tempDir('init-bare')
    const path = join(base, 'b.git')
    const repo = await Repository.init(path, { bare: true, initialBranch: 'main' })
    git(base, 'init', '-q', '--bare', '-b', 'main', join(base, 'g.git'))
    assert.deepEqual(files(path), files(join(base, 'g.git')))
    assert.equal(repo.isBare, true)
    assert.equal(repo.workdir, null)
    assert.equal(out(git(path, 'rev-parse', '--is-bare-repository')), 'true')
    assert.equal(out(git(path, 'symbolic-ref', 'HEAD')), 'refs/heads/main')
    repo.writeTreeSync([])
    const c = out(git(path, 'commit-tree', EMPTY_TREE, '-m', 'bare commit'))
    git(path, 'update-ref', 'HEAD', c)
    assert.equal(Repository.openSync(path).getCommitSync('HEAD').oid, c)
    assert.equal((await Repository.open(path)).refs.resolveSync('HEAD').oid, c)
    // Writing through it works, and git reads what we wrote.
    const c2 = repo.writeCommitSync({ tree: EMPTY_TREE, parents: [c], author: AUTHOR, committer: COMMITTER, message: 'ours\n', updateRef: 'HEAD' })
    assert.equal(out(git(path, 'rev-parse', 'main')), c2)
    // No reflog in a bare repository (core.logAllRefUpdates unset), as git update-ref would keep none.
    assert.equal(existsSync(join(path, 'logs', 'refs', 'heads', 'main')), false)
    fsckClean(path)
  })

  test('no initialBranch: the branch git init picks with the same config', () => {
    const base = tempDir('init-default')
    Repository.initSync(join(base, 'w'))
    git(base, 'init', '-q', join(base, 'g'))
    assert.equal(out(git(join(base, 'w'), 'symbolic-ref', 'HEAD')), out(git(join(base, 'g'), 'symbolic-ref', 'HEAD')))
  })

  test('on an existing repository nothing changes (HEAD, config bytes, refs, every file)', async () => {
    const { r, gitDir } = workTree('existing')
    writeFileSync(join(r, 'f'), 'x\n')
    git(r, 'add', 'f')
    git(r, 'commit', '-q', '-m', 'c')
    git(r, 'config', 'user.name', 'Someone')
    git(r, 'checkout', '-q', '-b', 'feature')
    const snapshot = () => {
      const all = []
      const walk = (d) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name)
          const s = statSync(p)
          all.push(`${p} ${s.mode} ${e.isDirectory() ? '' : `${s.mtimeMs} ${s.size} ${readFileSync(p).toString('base64')}`}`)
          if (e.isDirectory()) walk(p)
        }
      }
      walk(r)
      return { head: readFileSync(join(gitDir, 'HEAD'), 'utf8'), config: readFileSync(join(gitDir, 'config')), refs: out(git(r, 'for-each-ref')), all: all.sort() }
    }
    const before = snapshot()
    const a = Repository.initSync(r, { initialBranch: 'other' })
    const b = await Repository.init(r)
    const c = Repository.initSync(gitDir, { bare: true, initialBranch: 'x' })
    assert.deepEqual(snapshot(), before)
    for (const repo of [a, b, c]) assert.equal(repo.refs.readSymbolicSync('HEAD'), 'refs/heads/feature')
    assert.equal(a.isBare, false)
    assert.equal(c.gitDir, gitDir)
  })

  test("an invalid initialBranch ('a..b'): ERR_INVALID_REF_NAME and nothing created, as git init refuses it", async () => {
    const base = tempDir('init-bad')
    for (const branch of ['a..b', 'a b', 'x.lock', '']) {
      const path = join(base, `w-${Buffer.from(branch).toString('hex')}`)
      assert.throws(() => Repository.initSync(path, { initialBranch: branch }), isCode('ERR_INVALID_REF_NAME'), branch)
      await assert.rejects(Repository.init(path, { initialBranch: branch, bare: true }), isCode('ERR_INVALID_REF_NAME'), branch)
      assert.equal(existsSync(path), false, `${JSON.stringify(branch)}: nothing created`)
    }
    assert.notEqual(gitRun(base, ['init', '-q', '-b', 'a..b', join(base, 'g')]).status, 0, 'git init refuses a..b')
    assert.deepEqual(readdirSync(base).filter((n) => n !== 'g'), [])
    assert.throws(() => Repository.initSync(join(base, 'y'), { initialBranch: 5 }), TypeError)
    assert.equal(existsSync(join(base, 'y')), false)
  })
})

// ---------------------------------------------------------------------------

describe('Repository.inMemory', () => {
  // The steps, run in a child process whose cwd and TMPDIR are empty directories;
  // it prints what it saw as JSON.
  const indexUrl = pathToFileURL(fileURLToPath(new URL('../index.js', import.meta.url))).href
  const child = `
import fg from ${JSON.stringify(indexUrl)}
const { Repository } = fg
const A = ${JSON.stringify(AUTHOR)}, C = ${JSON.stringify(COMMITTER)}
const F = 0o100644, X = 0o100755, D = 0o040000
const strip = (s) => ({ name: s.name, email: s.email, seconds: s.seconds, offset: s.offset })
const o = {}
const repo = Repository.inMemory()
o.layout = { gitDir: repo.gitDir, commonDir: repo.commonDir, workdir: repo.workdir, isBare: repo.isBare }
o.unborn = { head: repo.refs.readSymbolicSync('HEAD'), main: repo.refs.getSync('refs/heads/main'), list: repo.refs.listSync() }
const hello = await repo.writeBlob('hello\\n')
const bin = repo.writeBlobSync(Buffer.from([0, 1, 2, 255]))
const sub = repo.writeTreeSync([{ name: 'x.bin', mode: F, oid: bin }])
const t1 = await repo.writeTree([{ name: 'f', mode: F, oid: hello }, { name: 'd', mode: D, oid: sub }])
const c1 = repo.writeCommitSync({ tree: t1, parents: [], author: A, committer: C, message: 'first\\n', updateRef: 'HEAD' })
const changed = repo.writeBlobSync('changed\\n')
const t2 = repo.writeTreeSync([{ name: 'f', mode: F, oid: changed }, { name: 'd', mode: D, oid: sub }, { name: 'run', mode: X, oid: hello }])
const c2 = await repo.writeCommit({ tree: t2, parents: ['HEAD'], author: A, committer: C, message: 'second\\n\\nbody\\n', updateRef: 'HEAD' })
o.ids = { hello, bin, sub, t1, t2, c1, c2, changed }
o.revParse = [await repo.revParse('HEAD'), repo.revParseSync('HEAD~1'), repo.revParseSync('main^{tree}')]
const c = await repo.getCommit('HEAD')
o.commit = { oid: c.oid, treeId: c.treeId, parentIds: c.parentIds, message: c.message, raw: c.raw().toString('base64') }
o.log = []
for await (const x of repo.log()) o.log.push(x.oid)
o.logSync = [...repo.logSync()].map((x) => x.oid)
o.readPath = [(await repo.readPath('HEAD', 'd/x.bin')).content().toString('base64'), repo.readPathSync('HEAD', 'd').oid, repo.readPathSync('HEAD~1', 'f').text()]
try { repo.readPathSync('HEAD', 'nope'); o.missingPath = 'found' } catch (e) { o.missingPath = e.code }
o.listFiles = (await repo.listFiles('HEAD')).map((e) => [e.mode, e.type, e.oid, e.path])
o.listTop = repo.listFilesSync('HEAD', { recursive: false }).map((e) => [e.mode, e.type, e.oid, e.path])
o.diff = (await repo.diffTrees(t1, t2)).map((d) => [d.status, d.path, d.oldOid, d.newOid, d.oldMode, d.newMode])
o.diffFromEmpty = repo.diffTreesSync(null, t1).map((d) => [d.status, d.path])
const tag = repo.writeTagSync({ target: c1, name: 'v1', tagger: C, message: 'v1\\n' })
await repo.refs.transaction().create('refs/heads/topic', c1).create('refs/tags/v1', tag).commit()
repo.refs.transaction().update('refs/heads/topic', c2, { expectedOld: c1, message: 'move topic' }).commitSync()
o.tag = tag
o.refs = (await repo.refs.list()).map((r) => [r.name, r.oid])
o.head = await repo.refs.get('HEAD')
o.main = repo.refs.getSync('refs/heads/main')
o.reflog = Object.fromEntries(await Promise.all(['HEAD', 'refs/heads/main'].map(async (n) => [n, (await repo.refs.reflog(n)).map((e) => [e.oldOid, e.newOid, strip(e.committer), e.message])])))
o.topicReflog = repo.refs.reflogSync('refs/heads/topic').map((e) => e.message)
try { repo.writeCommitSync({ tree: t1, parents: [c1], author: A, message: 'stale\\n', updateRef: 'HEAD' }); o.stale = 'ok' } catch (e) { o.stale = e.code }
o.afterStale = repo.revParseSync('HEAD')
o.has = [repo.hasObject(c2), repo.hasObject(${JSON.stringify('1'.repeat(40))})]
process.stdout.write(JSON.stringify(o))
`

  test('gitDir/commonDir null, isBare; write, read, log, diff and refs as git does; no file written to cwd or TMPDIR', () => {
    const cwd = tempDir('mem-cwd')
    const tmp = tempDir('mem-tmp')
    const p = spawnSync(process.execPath, ['--input-type=module', '-e', child], { cwd, env: { ...gitEnv, TMPDIR: tmp, TMP: tmp, TEMP: tmp }, encoding: 'utf8' })
    assert.equal(p.status, 0, p.stderr)
    const o = JSON.parse(p.stdout)
    assert.deepEqual(readdirSync(cwd), [], 'cwd stays empty')
    assert.deepEqual(readdirSync(tmp), [], 'TMPDIR stays empty')

    assert.deepEqual(o.layout, { gitDir: null, commonDir: null, workdir: null, isBare: true })
    assert.equal(o.unborn.head, 'refs/heads/main')
    assert.equal(o.unborn.main, null)
    assert.deepEqual(o.unborn.list, [])

    // The same steps through git, on disk: git commit from an index holding t1, then t2.
    const { r, gitDir } = workTree('mem-git')
    const ids = o.ids
    assert.equal(gitHash(r, 'hello\n', true), ids.hello)
    assert.equal(gitHash(r, Buffer.from([0, 1, 2, 255]), true), ids.bin)
    assert.equal(gitHash(r, 'changed\n', true), ids.changed)
    assert.equal(gitMktree(r, [{ name: 'x.bin', mode: F, oid: ids.bin }]), ids.sub)
    assert.equal(gitMktree(r, [{ name: 'f', mode: F, oid: ids.hello }, { name: 'd', mode: D, oid: ids.sub }]), ids.t1)
    assert.equal(gitMktree(r, [{ name: 'f', mode: F, oid: ids.changed }, { name: 'd', mode: D, oid: ids.sub }, { name: 'run', mode: X, oid: ids.hello }]), ids.t2)
    git(r, 'read-tree', ids.t1)
    git(r, 'commit', '-q', '--cleanup=verbatim', '-F', '-', { input: 'first\n' })
    assert.equal(out(git(r, 'rev-parse', 'HEAD')), ids.c1)
    git(r, 'read-tree', ids.t2)
    git(r, 'commit', '-q', '--cleanup=verbatim', '-F', '-', { input: 'second\n\nbody\n' })
    assert.equal(out(git(r, 'rev-parse', 'HEAD')), ids.c2)

    assert.deepEqual(o.revParse, [ids.c2, ids.c1, ids.t2])
    assert.deepEqual(o.commit, {
      oid: ids.c2,
      treeId: ids.t2,
      parentIds: [ids.c1],
      message: 'second\n\nbody\n',
      raw: catFile(r, 'commit', 'HEAD').toString('base64'),
    })
    assert.deepEqual(o.log, out(git(r, 'rev-list', 'HEAD')).split('\n'))
    assert.deepEqual(o.logSync, o.log)
    assert.deepEqual(o.readPath, [Buffer.from([0, 1, 2, 255]).toString('base64'), ids.sub, 'hello\n'])
    assert.equal(o.missingPath, 'ERR_PATH_NOT_FOUND')
    const toRows = (rows) => rows.map(([mode, type, oid, path]) => [parseInt(mode, 8), type, oid, path])
    assert.deepEqual(o.listFiles, toRows(lsTree(r, '-r', 'HEAD')))
    assert.deepEqual(o.listTop, toRows(lsTree(r, 'HEAD')))
    const STATUS = { A: 'added', D: 'deleted', M: 'modified', T: 'typechange' }
    const rawDiff = (a, b) =>
      out(git(r, 'diff-tree', '-r', '--no-abbrev', a, b))
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [meta, path] = l.split('\t')
          const [om, nm, oo, no, st] = meta.slice(1).split(' ')
          const z = (x) => (/^0+$/.test(x) ? null : x)
          return [STATUS[st], path, z(oo), z(no), om === '000000' ? null : parseInt(om, 8), nm === '000000' ? null : parseInt(nm, 8)]
        })
    assert.deepEqual(o.diff, rawDiff(ids.t1, ids.t2))
    assert.deepEqual(o.diffFromEmpty, rawDiff(EMPTY_TREE, ids.t1).map((d) => d.slice(0, 2)))

    // Refs: the same refs as git after the same updates.
    git(r, 'update-ref', 'refs/heads/topic', ids.c2)
    git(r, 'tag', '-a', '--cleanup=verbatim', '-F', '-', 'v1', ids.c1, { input: 'v1\n' })
    assert.equal(out(git(r, 'rev-parse', 'refs/tags/v1')), o.tag, 'the tag git tag -a writes')
    assert.deepEqual(o.refs, out(git(r, 'for-each-ref', '--format=%(refname) %(objectname)')).split('\n').map((l) => l.split(' ')))
    assert.equal(o.head.kind, 'symbolic')
    assert.equal(o.head.target.name, 'refs/heads/main')
    assert.equal(o.head.target.oid, ids.c2)
    assert.equal(o.main.oid, ids.c2)
    assert.equal(o.main.storage, 'memory')
    // The reflogs of HEAD and main: git commit's lines.
    const gitReflog = (n) =>
      readFileSync(join(gitDir, 'logs', n), 'utf8')
        .trim()
        .split('\n')
        .reverse()
        .map((l) => {
          const [meta, message] = l.split('\t')
          const m = /^(\w+) (\w+) (.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(meta)
          const off = (m[6][0] === '-' ? -1 : 1) * (Number(m[6].slice(1, 3)) * 60 + Number(m[6].slice(3)))
          return [m[1], m[2], { name: m[3], email: m[4], seconds: Number(m[5]), offset: off }, message]
        })
    assert.deepEqual(o.reflog.HEAD, gitReflog('HEAD'))
    assert.deepEqual(o.reflog['refs/heads/main'], gitReflog('refs/heads/main'))
    assert.equal(o.topicReflog[0], 'move topic')
    // A stale updateRef is refused there too.
    assert.equal(o.stale, 'ERR_REF_CONFLICT')
    assert.equal(o.afterStale, ids.c2)
    assert.deepEqual(o.has, [true, false])
  })

  test('in this process too: nothing on disk, the same ids as on disk', async () => {
    const repo = Repository.inMemory()
    const { r, repo: disk } = bare()
    for (const data of ['a\n', Buffer.alloc(3)]) assert.equal(repo.writeBlobSync(data), disk.writeBlobSync(data))
    const b = repo.writeBlobSync('a\n')
    const t = await repo.writeTree([{ name: 'a', mode: F, oid: b }])
    assert.equal(t, gitMktree(r, [{ name: 'a', mode: F, oid: b }]))
    assert.throws(() => repo.writeTreeSync([{ name: 'a', mode: F, oid: repo.hashObject('blob', 'missing') }]), isCode('ERR_OBJECT_NOT_FOUND'))
    const c = repo.writeCommitSync({ tree: t, parents: [], author: AUTHOR, committer: COMMITTER, message: 'm\n', updateRef: 'refs/heads/main' })
    assert.equal(c, out(git(r, 'commit-tree', t, { input: 'm\n', env: identityEnv(AUTHOR, COMMITTER) })))
    assert.equal(repo.getCommitSync('HEAD').oid, c)
    assert.equal(repo.getTreeSync('HEAD').oid, t)
    // Two in-memory repositories share nothing.
    const other = Repository.inMemory()
    assert.equal(other.hasObject(c), false)
    assert.equal(other.refs.getSync('refs/heads/main'), null)
  })
})
