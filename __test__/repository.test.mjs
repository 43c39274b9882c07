// Opening and discovering repositories (work trees, `.git`, bare, linked
// worktrees, `.git` files, submodules), the repository-format check, and
// revision parsing — every answer compared with the git CLI.
//
// Run: node --expose-gc --test __test__/repository.test.mjs

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import fg from '../index.js'
import { fixture, git } from './fixtures/repos.mjs'

const { Repository, GitError } = fg

const QUIET = { stdio: ['pipe', 'pipe', 'pipe'] }

// ---------------------------------------------------------------------------
// helpers

const scratch = []
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

/** A fresh temp dir (deliberately not realpath'd: tmpdir may be a symlink). */
function tempDir(tag) {
  const d = mkdtempSync(join(tmpdir(), `ferrogit-repo-${tag}-`))
  scratch.push(d)
  return d
}

const text = (buf) => buf.toString().trim()
const real = (p) => realpathSync(p)

/** git's own view of the repository seen from `cwd`. */
function gitView(cwd) {
  const rp = (...a) => text(git(cwd, 'rev-parse', ...a, QUIET))
  const isBare = rp('--is-bare-repository') === 'true'
  return {
    gitDir: real(rp('--absolute-git-dir')),
    commonDir: real(resolve(cwd, rp('--git-common-dir'))),
    workdir: isBare ? null : real(rp('--show-toplevel')),
    isBare,
  }
}

/** Does git fail to find/accept a repository from `cwd`? */
function gitFails(cwd, ...args) {
  try {
    git(cwd, ...(args.length ? args : ['rev-parse', '--git-dir']), QUIET)
    return false
  } catch {
    return true
  }
}

/** ferrogit's view, with symlinks resolved. */
function view(repo) {
  return {
    gitDir: repo.gitDir === null ? null : real(repo.gitDir),
    commonDir: repo.commonDir === null ? null : real(repo.commonDir),
    workdir: repo.workdir === null ? null : real(repo.workdir),
    isBare: repo.isBare,
  }
}

const OPEN = [
  { name: 'openSync', fn: (p) => Repository.openSync(p), async: false },
  { name: 'open', fn: (p) => Repository.open(p), async: true },
]
const DISCOVER = [
  { name: 'discoverSync', fn: (p) => Repository.discoverSync(p), async: false },
  { name: 'discover', fn: (p) => Repository.discover(p), async: true },
]
const ALL = [...OPEN, ...DISCOVER]

function describeErr(err) {
  return err instanceof Error ? `${err.constructor?.name} code=${err.code} message=${JSON.stringify(err.message)}` : String(err)
}

/** Call a form; the Promise forms must return a Promise (never throw synchronously). */
function invoke(form, p) {
  if (!form.async) return form.fn(p)
  let ret
  try {
    ret = form.fn(p)
  } catch (err) {
    assert.fail(`${form.name}(${p}) threw synchronously instead of returning a Promise: ${describeErr(err)}`)
  }
  assert.ok(ret instanceof Promise, `${form.name} returns a Promise`)
  return ret
}

async function expectRepo(form, p, expected) {
  let repo
  try {
    repo = await invoke(form, p)
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err
    assert.fail(`${form.name}(${p}) failed: ${describeErr(err)}`)
  }
  assert.ok(repo instanceof Repository, `${form.name}(${p}) gives a Repository`)
  assert.deepEqual(view(repo), expected, `${form.name}(${p})`)
  return repo
}

async function expectError(form, p, code) {
  let err = null
  let value
  try {
    value = await invoke(form, p)
  } catch (e) {
    err = e
  }
  if (err instanceof assert.AssertionError) throw err
  assert.ok(err !== null, `${form.name}(${p}) should fail with ${code}, gave ${value && JSON.stringify(view(value))}`)
  assert.ok(err instanceof GitError, `${form.name}(${p}): expected a GitError, got ${describeErr(err)}`)
  assert.equal(err.code, code, `${form.name}(${p}): expected ${code}, got ${describeErr(err)}`)
}

/** `git init` a work tree at `dir` with one commit touching `a/b/c/file.txt`. */
function initWithCommit(dir, ...initArgs) {
  git(tmpdir(), 'init', '-q', '-b', 'main', ...initArgs, dir)
  mkdirSync(join(dir, 'a', 'b', 'c'), { recursive: true })
  writeFileSync(join(dir, 'a', 'b', 'c', 'file.txt'), 'hello\n')
  writeFileSync(join(dir, 'README'), 'readme\n')
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', 'first')
  return dir
}

// ---------------------------------------------------------------------------
// opening and discovering

describe('open and discover, compared with git rev-parse', () => {
  let root, nonbare, bare, wt, sep, sepGit, superRepo, sub, plain

  before(() => {
    root = tempDir('layouts')

    nonbare = initWithCommit(join(root, 'nonbare'))

    bare = join(root, 'bare.git')
    git(root, 'init', '-q', '--bare', '-b', 'main', bare)
    git(nonbare, 'push', '-q', bare, 'main', QUIET)

    // Linked worktree with its own HEAD (a branch one commit ahead of main).
    wt = join(root, 'wt')
    git(nonbare, 'worktree', 'add', '-q', '-b', 'wt-branch', wt, QUIET)
    writeFileSync(join(wt, 'wt.txt'), 'in the worktree\n')
    git(wt, 'add', 'wt.txt')
    git(wt, 'commit', '-q', '-m', 'worktree commit')

    // `.git` file with a relative `gitdir:` (as a submodule has).
    sep = join(root, 'sep')
    sepGit = join(root, 'elsewhere.git')
    initWithCommit(sep, '--separate-git-dir', sepGit)
    writeFileSync(join(sep, '.git'), 'gitdir: ../elsewhere.git\n')

    // A real submodule: `.git` file `gitdir: ../.git/modules/sub` plus core.worktree.
    superRepo = initWithCommit(join(root, 'super'))
    git(superRepo, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', bare, 'sub', QUIET)
    git(superRepo, 'commit', '-q', '-m', 'add submodule')
    sub = join(superRepo, 'sub')

    plain = join(root, 'plain')
    mkdirSync(join(plain, 'deeper'), { recursive: true })
  })

  describe('non-bare repository', () => {
    for (const form of ALL) {
      test(`${form.name} at the work tree`, async () => {
        await expectRepo(form, nonbare, gitView(nonbare))
      })
      test(`${form.name} at its .git`, async () => {
        const expected = gitView(nonbare)
        assert.equal(real(text(git(join(nonbare, '.git'), 'rev-parse', '--absolute-git-dir'))), expected.gitDir)
        assert.equal(expected.gitDir, real(join(nonbare, '.git')))
        assert.equal(expected.workdir, real(nonbare))
        assert.equal(expected.isBare, false)
        await expectRepo(form, join(nonbare, '.git'), expected)
      })
    }
    for (const form of DISCOVER) {
      test(`${form.name} from a nested subdirectory`, async () => {
        const nested = join(nonbare, 'a', 'b', 'c')
        const expected = gitView(nested)
        assert.deepEqual(expected, gitView(nonbare))
        await expectRepo(form, nested, expected)
      })
      test(`${form.name} from inside .git/objects`, async () => {
        const inside = join(nonbare, '.git', 'objects')
        const rp = (...a) => text(git(inside, 'rev-parse', ...a, QUIET))
        const expected = {
          gitDir: real(rp('--absolute-git-dir')),
          commonDir: real(resolve(inside, rp('--git-common-dir'))),
          workdir: real(nonbare),
          isBare: rp('--is-bare-repository') === 'true',
        }
        assert.deepEqual(expected, gitView(nonbare))
        await expectRepo(form, inside, expected)
      })
    }
    for (const form of OPEN) {
      test(`${form.name} does not walk up from a nested subdirectory`, async () => {
        await expectError(form, join(nonbare, 'a', 'b'), 'ERR_NOT_A_REPOSITORY')
      })
    }
    test('revParse HEAD agrees with git', async () => {
      const head = text(git(nonbare, 'rev-parse', 'HEAD'))
      assert.equal(Repository.discoverSync(join(nonbare, 'a')).revParseSync('HEAD'), head)
      assert.equal(await (await Repository.open(join(nonbare, '.git'))).revParse('HEAD'), head)
    })
  })

  describe('bare repository', () => {
    for (const form of ALL) {
      test(`${form.name} at the repository`, async () => {
        const expected = gitView(bare)
        assert.equal(expected.isBare, true)
        assert.equal(expected.workdir, null)
        assert.equal(expected.gitDir, real(bare))
        await expectRepo(form, bare, expected)
      })
    }
    for (const form of DISCOVER) {
      test(`${form.name} from inside objects/`, async () => {
        for (const inside of [join(bare, 'objects'), join(bare, 'objects', 'info')]) {
          const expected = gitView(inside)
          assert.deepEqual(expected, gitView(bare))
          await expectRepo(form, inside, expected)
        }
      })
    }
    for (const form of OPEN) {
      test(`${form.name} at objects/ is not a repository`, async () => {
        await expectError(form, join(bare, 'objects'), 'ERR_NOT_A_REPOSITORY')
      })
    }
    test('revParse HEAD agrees with git', () => {
      assert.equal(Repository.openSync(bare).revParseSync('HEAD'), text(git(bare, 'rev-parse', 'HEAD')))
    })
  })

  describe('linked worktree', () => {
    const layout = () => ({
      gitDir: real(join(nonbare, '.git', 'worktrees', 'wt')),
      commonDir: real(join(nonbare, '.git')),
      workdir: real(wt),
      isBare: false,
    })
    for (const form of ALL) {
      test(`${form.name} at the worktree (its .git is a file)`, async () => {
        const expected = gitView(wt)
        assert.deepEqual(expected, layout())
        const repo = await expectRepo(form, wt, expected)
        assert.notEqual(repo.gitDir, repo.commonDir)
      })
      test(`${form.name} with the path of the worktree's .git file`, async () => {
        // git accepts the gitfile itself as a git dir: `git --git-dir=<wt>/.git`.
        const viaFile = text(git(wt, '--git-dir', join(wt, '.git'), 'rev-parse', '--absolute-git-dir', QUIET))
        assert.equal(real(viaFile), layout().gitDir)
        await expectRepo(form, join(wt, '.git'), gitView(wt))
      })
    }
    for (const form of DISCOVER) {
      test(`${form.name} from a subdirectory of the worktree`, async () => {
        const nested = join(wt, 'a', 'b')
        assert.deepEqual(gitView(nested), layout())
        await expectRepo(form, nested, layout())
      })
    }
    test('HEAD is per worktree, branches are shared', async () => {
      const repo = Repository.openSync(wt)
      assert.equal(repo.revParseSync('HEAD'), text(git(wt, 'rev-parse', 'HEAD')))
      assert.equal(await repo.revParse('main'), text(git(wt, 'rev-parse', 'main')))
      assert.notEqual(repo.revParseSync('HEAD'), repo.revParseSync('main'))
      assert.equal(Repository.openSync(nonbare).revParseSync('HEAD'), text(git(nonbare, 'rev-parse', 'HEAD')))
      assert.equal(Repository.openSync(nonbare).revParseSync('wt-branch'), repo.revParseSync('HEAD'))
    })
  })

  describe('.git file with a relative gitdir (separate git dir)', () => {
    for (const form of ALL) {
      test(`${form.name} at the work tree`, async () => {
        const expected = gitView(sep)
        assert.equal(expected.gitDir, real(sepGit))
        assert.equal(expected.commonDir, real(sepGit))
        assert.equal(expected.workdir, real(sep))
        await expectRepo(form, sep, expected)
      })
      test(`${form.name} with the path of the .git file`, async () => {
        await expectRepo(form, join(sep, '.git'), gitView(sep))
      })
    }
    for (const form of DISCOVER) {
      test(`${form.name} from a nested subdirectory`, async () => {
        const nested = join(sep, 'a', 'b', 'c')
        assert.deepEqual(gitView(nested), gitView(sep))
        await expectRepo(form, nested, gitView(sep))
      })
    }
    test('revParse HEAD agrees with git', () => {
      assert.equal(Repository.openSync(sep).revParseSync('HEAD'), text(git(sep, 'rev-parse', 'HEAD')))
    })
  })

  describe('submodule (git submodule add)', () => {
    for (const form of ALL) {
      test(`${form.name} at the submodule`, async () => {
        const expected = gitView(sub)
        assert.equal(expected.gitDir, real(join(superRepo, '.git', 'modules', 'sub')))
        assert.equal(expected.workdir, real(sub))
        await expectRepo(form, sub, expected)
      })
    }
    for (const form of DISCOVER) {
      test(`${form.name} from inside the submodule`, async () => {
        const nested = join(sub, 'a', 'b')
        assert.deepEqual(gitView(nested), gitView(sub))
        await expectRepo(form, nested, gitView(sub))
      })
    }
    test('revParse HEAD agrees with git', () => {
      assert.equal(Repository.openSync(sub).revParseSync('HEAD'), text(git(sub, 'rev-parse', 'HEAD')))
      assert.equal(Repository.openSync(superRepo).revParseSync('HEAD:sub'), text(git(superRepo, 'rev-parse', 'HEAD:sub')))
    })
  })

  describe('not a repository', () => {
    for (const form of ALL) {
      test(`${form.name}: a plain directory`, async () => {
        assert.ok(gitFails(plain), 'git finds no repository there either')
        assert.ok(gitFails(join(plain, 'deeper')))
        await expectError(form, plain, 'ERR_NOT_A_REPOSITORY')
        await expectError(form, join(plain, 'deeper'), 'ERR_NOT_A_REPOSITORY')
      })
      test(`${form.name}: a path that does not exist`, async () => {
        await expectError(form, join(plain, 'does', 'not', 'exist'), 'ERR_NOT_A_REPOSITORY')
        await expectError(form, join(root, 'missing'), 'ERR_NOT_A_REPOSITORY')
      })
    }
  })
})

// ---------------------------------------------------------------------------
// repository format version and extensions

describe('repository format and extensions', () => {
  let root
  const made = new Map()

  /** A work tree with one commit whose config gets `settings` (written with `git config --file`). */
  function repoWith(name, settings) {
    const dir = initWithCommit(join(root, name))
    const cfg = join(dir, '.git', 'config')
    for (const [k, v] of settings) git(root, 'config', '--file', cfg, k, v)
    made.set(name, dir)
    return dir
  }

  const unsupported = [
    ['version 2', [['core.repositoryformatversion', '2']]],
    ['version 3', [['core.repositoryformatversion', '3']]],
    ['v1 objectFormat=sha256', [['extensions.objectFormat', 'sha256'], ['core.repositoryformatversion', '1']]],
    ['v1 refStorage=reftable', [['extensions.refStorage', 'reftable'], ['core.repositoryformatversion', '1']]],
    ['v1 unknown extensions.foo', [['extensions.foo', 'bar'], ['core.repositoryformatversion', '1']]],
    ['v1 unknown extension next to accepted ones', [
      ['extensions.noop', 'true'], ['extensions.worktreeConfig', 'true'], ['extensions.somethingNew', 'x'],
      ['core.repositoryformatversion', '1'],
    ]],
  ]
  const accepted = [
    ['v1 without extensions', [['core.repositoryformatversion', '1']]],
    ['v1 objectFormat=sha1', [['core.repositoryformatversion', '1'], ['extensions.objectFormat', 'sha1']]],
    ['v1 refStorage=files', [['core.repositoryformatversion', '1'], ['extensions.refStorage', 'files']]],
    ['v1 noop', [['core.repositoryformatversion', '1'], ['extensions.noop', 'true']]],
    ['v1 preciousObjects', [['core.repositoryformatversion', '1'], ['extensions.preciousObjects', 'true']]],
    ['v1 partialClone', [['core.repositoryformatversion', '1'], ['extensions.partialClone', 'origin']]],
    ['v1 worktreeConfig', [['core.repositoryformatversion', '1'], ['extensions.worktreeConfig', 'true']]],
    ['v1 all accepted extensions together', [
      ['core.repositoryformatversion', '1'], ['extensions.objectFormat', 'sha1'], ['extensions.refStorage', 'files'],
      ['extensions.noop', 'true'], ['extensions.preciousObjects', 'true'], ['extensions.partialClone', 'origin'],
      ['extensions.worktreeConfig', 'true'],
    ]],
  ]

  before(() => {
    root = tempDir('formats')
    for (const [name, settings] of [...unsupported, ...accepted]) repoWith(name.replace(/\W+/g, '-'), settings)
    // Repositories git itself creates in those formats.
    git(root, 'init', '-q', '--object-format=sha256', join(root, 'real-sha256'))
    git(root, 'init', '-q', '--ref-format=reftable', join(root, 'real-reftable'))
  })

  const dirOf = (name) => made.get(name.replace(/\W+/g, '-'))

  for (const [name] of unsupported) {
    test(`${name} → ERR_UNSUPPORTED_EXTENSION`, async () => {
      const dir = dirOf(name)
      for (const form of OPEN) {
        await expectError(form, dir, 'ERR_UNSUPPORTED_EXTENSION')
        await expectError(form, join(dir, '.git'), 'ERR_UNSUPPORTED_EXTENSION')
      }
      for (const form of DISCOVER) {
        await expectError(form, dir, 'ERR_UNSUPPORTED_EXTENSION')
        await expectError(form, join(dir, 'a', 'b', 'c'), 'ERR_UNSUPPORTED_EXTENSION')
      }
    })
  }

  for (const name of ['real-sha256', 'real-reftable']) {
    test(`${name} (made by git init) → ERR_UNSUPPORTED_EXTENSION`, async () => {
      const dir = join(root, name)
      assert.equal(gitView(dir).gitDir, real(join(dir, '.git')), 'git itself reads it')
      for (const form of ALL) await expectError(form, dir, 'ERR_UNSUPPORTED_EXTENSION')
    })
  }

  for (const [name] of accepted) {
    test(`${name} opens`, async () => {
      const dir = dirOf(name)
      const expected = gitView(dir)
      const head = text(git(dir, 'rev-parse', 'HEAD'))
      for (const form of ALL) {
        const repo = await expectRepo(form, dir, expected)
        assert.equal(repo.revParseSync('HEAD'), head)
      }
      for (const form of DISCOVER) await expectRepo(form, join(dir, 'a', 'b'), expected)
    })
  }
})

// ---------------------------------------------------------------------------
// revision parsing

/** git's answer for one revision, or null when git refuses it. */
function gitRev(repo, spec) {
  try {
    return text(git(repo, 'rev-parse', '--verify', '--end-of-options', spec, QUIET))
  } catch {
    return null
  }
}

async function expectRev(repo, dir, spec) {
  const expected = gitRev(dir, spec)
  assert.match(expected ?? '', /^[0-9a-f]{40}$/, `git rev-parse ${spec} succeeds`)
  let got
  try {
    got = repo.revParseSync(spec)
  } catch (err) {
    assert.fail(`revParseSync(${JSON.stringify(spec)}): expected ${expected}, got ${describeErr(err)}`)
  }
  assert.equal(got, expected, `revParseSync(${JSON.stringify(spec)})`)
  let gotAsync
  try {
    gotAsync = await repo.revParse(spec)
  } catch (err) {
    assert.fail(`revParse(${JSON.stringify(spec)}): expected ${expected}, got ${describeErr(err)}`)
  }
  assert.equal(gotAsync, expected, `revParse(${JSON.stringify(spec)})`)
}

async function expectRevError(repo, dir, spec, code) {
  assert.equal(gitRev(dir, spec), null, `git rev-parse ${spec} fails too`)
  let value
  let err = null
  try {
    value = repo.revParseSync(spec)
  } catch (e) {
    err = e
  }
  assert.ok(err !== null, `revParseSync(${JSON.stringify(spec)}) should fail with ${code}, gave ${value}`)
  assert.ok(err instanceof GitError, `revParseSync(${JSON.stringify(spec)}): ${describeErr(err)}`)
  assert.equal(err.code, code, `revParseSync(${JSON.stringify(spec)}): ${describeErr(err)}`)

  err = null
  value = undefined
  const p = repo.revParse(spec)
  assert.ok(p instanceof Promise)
  try {
    value = await p
  } catch (e) {
    err = e
  }
  assert.ok(err !== null, `revParse(${JSON.stringify(spec)}) should reject with ${code}, gave ${value}`)
  assert.ok(err instanceof GitError, `revParse(${JSON.stringify(spec)}): ${describeErr(err)}`)
  assert.equal(err.code, code, `revParse(${JSON.stringify(spec)}): ${describeErr(err)}`)
}

/** Two object ids sharing their first 4 hex digits, and that prefix. */
function ambiguousPrefix(dir) {
  const oids = text(git(dir, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)')).split('\n').sort()
  for (let i = 1; i < oids.length; i++) {
    if (oids[i].slice(0, 4) === oids[i - 1].slice(0, 4)) return { prefix: oids[i].slice(0, 4), oids }
  }
  return { prefix: null, oids }
}

/** A hex prefix of `len` digits that no object has. */
function unusedPrefix(oids, len) {
  const used = new Set(oids.map((o) => o.slice(0, len)))
  for (let n = 0; ; n++) {
    const p = n.toString(16).padStart(len, '0')
    if (!used.has(p)) return p
  }
}

describe('revParse against git rev-parse', () => {
  describe('tiny', () => {
    let dir, repo, oids
    const head = () => text(git(dir, 'rev-parse', 'HEAD'))
    before(() => {
      dir = fixture('tiny')
      repo = Repository.openSync(dir)
      oids = text(git(dir, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)')).split('\n')
    })

    const specs = [
      'HEAD', 'HEAD~', 'HEAD~1', 'HEAD~2', 'HEAD^', 'HEAD^0', 'HEAD^1', 'HEAD^2', 'HEAD^^', 'HEAD^2~1', 'HEAD~0^2~0',
      'main', 'feature', 'refs/heads/main', 'heads/feature',
      'v1.0', 'tags/v1.0', 'refs/tags/v1.0', 'light', 'v1.0-signed',
      'v1.0^{}', 'v1.0-signed^{}', 'light^{}', 'v1.0^{commit}', 'v1.0-signed^{commit}', 'HEAD^{commit}',
      'HEAD^{tree}', 'v1.0^{tree}', 'v1.0-signed^{tree}', 'light^{tree}', 'v1.0~1', 'v1.0^{}~1',
      'HEAD:README.md', 'HEAD:src/lib/core.txt', 'HEAD:src', 'HEAD:src/lib', 'HEAD^2:feature.txt',
      'v1.0:link-to-readme', 'v1.0:vendor', 'v1.0:vendor/sub', 'v1.0:bin/run', 'v1.0:with space/été.txt',
    ]
    for (const spec of specs) {
      test(spec, async () => {
        await expectRev(repo, dir, spec)
      })
    }

    test('abbreviated oids (7 and 4 hex digits) of every object', async () => {
      for (const oid of oids) {
        await expectRev(repo, dir, oid)
        await expectRev(repo, dir, oid.slice(0, 7))
        if (gitRev(dir, oid.slice(0, 4)) !== null) await expectRev(repo, dir, oid.slice(0, 4))
      }
    })

    test('abbreviated oids with suffixes', async () => {
      const h = head()
      for (const spec of [`${h.slice(0, 7)}~1`, `${h.slice(0, 7)}^2`, `${h.slice(0, 7)}^{tree}`, `${h.slice(0, 7)}:README.md`]) {
        await expectRev(repo, dir, spec)
      }
    })

    const garbage = [
      'no-such-branch', 'refs/heads/nope', 'HEAD~100000', 'HEAD^3', 'HEAD:no/such/file', 'v1.0:nope',
      'zzzz', 'HEAD^{nonsense}', 'main..', 'ma in',
    ]
    for (const spec of garbage) {
      test(`garbage ${JSON.stringify(spec)} → ERR_INVALID_REVISION`, async () => {
        await expectRevError(repo, dir, spec, 'ERR_INVALID_REVISION')
      })
    }
    test('an unused hex prefix and a 3-digit prefix → ERR_INVALID_REVISION', async () => {
      await expectRevError(repo, dir, unusedPrefix(oids, 7), 'ERR_INVALID_REVISION')
      await expectRevError(repo, dir, unusedPrefix(oids, 4), 'ERR_INVALID_REVISION')
      await expectRevError(repo, dir, head().slice(0, 3), 'ERR_INVALID_REVISION')
    })
  })

  describe('small', () => {
    let dir, repo, merge, amb
    before(() => {
      dir = fixture('small')
      repo = Repository.openSync(dir)
      merge = text(git(dir, 'log', '--merges', '-1', '--format=%H'))
      amb = ambiguousPrefix(dir)
    })

    for (const spec of [
      'HEAD', 'HEAD~5', 'HEAD~100', 'HEAD^{tree}', 'HEAD:README', 'HEAD:docs', 'HEAD^{commit}',
      'main', 'topic/0001', 'refs/heads/topic/0033', 'heads/topic/0002',
      'v1.0', 'v1.0^{}', 'v1.0^{commit}', 'v1.0^{tree}', 'v49.0', 'v49.0^{}', 'tags/v25.0',
      'light2', 'light50', 'light2^{}', 'light2^{tree}',
    ]) {
      test(spec, async () => {
        await expectRev(repo, dir, spec)
      })
    }

    test('HEAD^2 and ^1 on a merge, and beyond', async () => {
      assert.match(merge, /^[0-9a-f]{40}$/)
      for (const s of ['', '^1', '^2', '^2~1', '^2^', '^1~2', '~3', '^2^{tree}', '^2:README']) await expectRev(repo, dir, merge + s)
      const parents = text(git(dir, 'rev-list', '--parents', '-n', '1', merge)).split(' ')
      assert.equal(parents.length, 3)
      assert.equal(repo.revParseSync(`${merge}^2`), parents[2])
    })

    test('a nested path', async () => {
      const path = text(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'src')).split('\n')[0]
      assert.ok(path.includes('/'))
      await expectRev(repo, dir, `HEAD:${path}`)
      await expectRev(repo, dir, `HEAD~5:${path.split('/')[0]}`)
    })

    test('abbreviated oids (first 7 hex) of a commit, tree, blob and tag', async () => {
      const ids = [
        text(git(dir, 'rev-parse', 'HEAD')),
        text(git(dir, 'rev-parse', 'HEAD^{tree}')),
        text(git(dir, 'rev-parse', 'HEAD:README')),
        text(git(dir, 'rev-parse', 'v1.0')),
      ]
      for (const id of ids) {
        await expectRev(repo, dir, id.slice(0, 7))
        assert.equal(repo.revParseSync(id.slice(0, 7)), id)
      }
    })

    test('an ambiguous 4-digit prefix → ERR_AMBIGUOUS_OID', async () => {
      assert.ok(amb.prefix, 'small has two objects sharing 4 hex digits')
      await expectRevError(repo, dir, amb.prefix, 'ERR_AMBIGUOUS_OID')
      // Lengthened until unique, it resolves.
      const full = amb.oids.find((o) => o.startsWith(amb.prefix))
      let n = 5
      while (amb.oids.filter((o) => o.startsWith(full.slice(0, n))).length > 1) n++
      await expectRev(repo, dir, full.slice(0, n))
    })

    for (const spec of ['no-such-branch', 'topic/9999', 'HEAD~100000', 'HEAD^2', 'HEAD:no/such/file', 'v1.0:nope', 'zzzz']) {
      test(`garbage ${JSON.stringify(spec)} → ERR_INVALID_REVISION`, async () => {
        await expectRevError(repo, dir, spec, 'ERR_INVALID_REVISION')
      })
    }
  })

  describe("git's DWIM order, loose over packed refs", () => {
    let dir, repo, c1, c2, c3
    before(() => {
      dir = tempDir('dwim')
      initWithCommit(dir)
      c1 = text(git(dir, 'rev-parse', 'HEAD'))
      git(dir, 'commit', '-q', '--allow-empty', '-m', 'second')
      c2 = text(git(dir, 'rev-parse', 'HEAD'))
      git(dir, 'commit', '-q', '--allow-empty', '-m', 'third')
      c3 = text(git(dir, 'rev-parse', 'HEAD'))
      git(dir, 'branch', 'dup', c1)
      git(dir, 'tag', 'dup', c2, QUIET) // refs/tags/dup wins over refs/heads/dup
      git(dir, 'branch', c2.slice(0, 7), c1) // a branch named like an abbreviated oid wins over the oid
      git(dir, 'tag', '-a', '-m', 'annotated', 'ann', c2)
      git(dir, 'update-ref', 'refs/remotes/origin/main', c1)
      git(dir, 'symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main')
      git(dir, 'branch', 'packed-then-loose', c1)
      git(dir, 'pack-refs', '--all')
      git(dir, 'update-ref', 'refs/heads/packed-then-loose', c3) // loose now shadows the packed entry
      git(dir, 'branch', 'only-loose', c2)
      repo = Repository.openSync(dir)
    })

    for (const spec of [
      'dup', 'heads/dup', 'tags/dup', 'refs/heads/dup', 'ann', 'ann^{}', 'origin', 'origin/main', 'remotes/origin/main',
      'origin/HEAD', 'packed-then-loose', 'only-loose', 'main', 'HEAD~2',
    ]) {
      test(spec, async () => {
        await expectRev(repo, dir, spec)
      })
    }

    test('a branch named like an abbreviated oid resolves to the branch', async () => {
      const spec = c2.slice(0, 7)
      assert.equal(gitRev(dir, spec), c1)
      await expectRev(repo, dir, spec)
    })
  })
})
