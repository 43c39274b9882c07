// `ferrogit symbolic-ref <name> <ref>` (with -m) and `symbolic-ref -d <name>`, run side by side
// with git on two identical repositories (GIT_COMMITTER_NAME/EMAIL/DATE fixed by gitEnv): same
// exit codes, same output and messages, same refs, same .git/HEAD, same reflogs.
//
// Run: node --expose-gc --test --test-concurrency=1 __test__/cli-symbolic-ref.test.mjs
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, cpSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { git, gitEnv, root, reflogFiles } from './fixtures/repos.mjs'

const cli = join(root, 'bin/ferrogit.js')
const temps = []
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A repository made by `setup(dir)` under a fresh temp dir, and a copy: `a` for git, `b` for ferrogit. */
function pair(setup) {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-symref-'))
  temps.push(dir)
  const a = join(dir, 'git')
  git(dir, 'init', '-q', '-b', 'main', 'git')
  for (let i = 0; i < 3; i++) git(a, 'commit', '-q', '--allow-empty', '-m', `c${i}`)
  git(a, 'branch', 'side', 'HEAD~1')
  setup?.(a)
  const b = join(dir, 'ours')
  cpSync(a, b, { recursive: true })
  return { a, b }
}

function run(which, cwd, args) {
  const [cmd, argv] = which === 'git' ? ['git', args] : [process.execPath, [cli, ...args]]
  const r = spawnSync(cmd, argv, { cwd, env: gitEnv })
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}


/** What the commands may change: refs (symbolic ones with their target), HEAD's file, locks. */
function refState(repo, gd = join(repo, '.git')) {
  return {
    // (git warns about a garbage ref file on stderr: not wanted in the test output)
    refs: git(repo, 'for-each-ref', '--format=%(objectname) %(refname) %(symref)', { stdio: ['ignore', 'pipe', 'ignore'] }).toString(),
    head: readFileSync(join(gd, 'HEAD'), 'utf8'),
    rootRefs: readdirSync(gd).filter((n) => /^[A-Z_]+_HEAD$/.test(n)).sort(),
    locks: readdirSync(gd, { recursive: true }).filter((p) => p.endsWith('.lock')),
  }
}

/**
 * Run each step's args with git in `a` and ferrogit in `b`: the same exit status and stdout, the
 * same stderr bytes (`usage`: stderr from both, as the program name differs), the same refs after.
 */
function sameSteps(a, b, steps, state = refState) {
  for (const step of steps) {
    const [args, opts = {}] = Array.isArray(step[0]) ? step : [step]
    const what = args.join(' ')
    const ra = run('git', a, args)
    const rb = run('ours', b, args)
    assert.equal(rb.status, ra.status, `${what}: exit ${rb.status} vs git ${ra.status}; stderr ${rb.stderr}`)
    assert.equal(rb.stdout, ra.stdout, `${what}: stdout`)
    if (opts.usage) assert.ok(ra.stderr && rb.stderr.startsWith('usage: '), `${what}: usage, got ${JSON.stringify(rb.stderr)}`)
    else assert.equal(rb.stderr, ra.stderr, `${what}: stderr`)
    assert.deepEqual(state(b), state(a), `${what}: refs after`)
  }
}

const SET = [
  ['symbolic-ref', 'HEAD', 'refs/heads/side'], // no -m: an empty reflog message
  ['symbolic-ref', '-m', 'back to main', 'HEAD', 'refs/heads/main'],
  ['symbolic-ref', '-m', 'same again', 'HEAD', 'refs/heads/main'],
  ['symbolic-ref', '-m', 'unborn', 'HEAD', 'refs/heads/unborn'], // a target that does not exist (yet)
  ['symbolic-ref', '-m', 'home', 'HEAD', 'refs/heads/main'],
  ['symbolic-ref', 'refs/heads/link', 'refs/heads/side'], // a new symbolic ref
  ['symbolic-ref', '-m', 'relink', 'refs/heads/link', 'refs/heads/main'],
  ['symbolic-ref', '-mshort form', 'refs/heads/link2', 'refs/heads/link'], // to a symref
  ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main'], // dangling
  ['symbolic-ref', 'NEW_HEAD', 'refs/heads/side'], // a root ref
  ['symbolic-ref', 'refs/heads/to-head', 'HEAD'],
  ['symbolic-ref', '-m', 'over a branch', 'refs/heads/side', 'refs/heads/main'], // a direct ref becomes symbolic
]

const DELETE = [
  ['symbolic-ref', '-d', 'refs/heads/link2'],
  ['symbolic-ref', '-m', 'not used', '-d', 'refs/heads/link'],
  ['symbolic-ref', '--delete', 'refs/remotes/origin/HEAD'],
  ['symbolic-ref', '-d', 'NEW_HEAD'],
  ['symbolic-ref', '-d', 'refs/heads/to-head'],
]

const REFUSED = [
  ['symbolic-ref', 'HEAD', 'side'], // Refusing to point HEAD outside of refs/
  ['symbolic-ref', 'HEAD', 'refs/heads/a..b'], // Refusing to set 'HEAD' to invalid ref
  ['symbolic-ref', 'refs/heads/x', 'refs/heads/bad~name'],
  ['symbolic-ref', 'lower', 'refs/heads/main'], // error: refusing to update ref with bad name, exit 1
  ['symbolic-ref', 'refs/heads/main/sub', 'refs/heads/side'], // 'refs/heads/main' exists, exit 1
  ['symbolic-ref', '-m', '', 'HEAD', 'refs/heads/main'], // empty message
  ['symbolic-ref', '-d', 'HEAD'], // deleting 'HEAD' is not allowed
  ['symbolic-ref', '-d', 'refs/heads/main'], // Cannot delete ..., not a symbolic ref
  ['symbolic-ref', '-q', '-d', 'refs/heads/main'], // -q does not quiet that
  ['symbolic-ref', '-d', 'refs/heads/nope'], // a missing ref is not a symbolic one either
  ['symbolic-ref', '-d', 'refs/heads/a..b'], // No such ref
  [['symbolic-ref', '-d'], { usage: true }],
  [['symbolic-ref', '-d', 'refs/heads/a', 'refs/heads/b'], { usage: true }],
  [['symbolic-ref', 'a', 'b', 'c'], { usage: true }],
]

test('symbolic-ref <name> <ref> and -d <name>: the same refs and .git/HEAD as git', () => {
  const { a, b } = pair()
  sameSteps(a, b, [...SET, ...REFUSED, ...DELETE])
  assert.equal(readFileSync(join(b, '.git/HEAD'), 'utf8'), 'ref: refs/heads/main\n')
  assert.equal(git(b, 'symbolic-ref', 'refs/heads/side').toString(), 'refs/heads/main\n')
  git(b, 'fsck', '--no-progress')
})

test('symbolic-ref -d: a dangling symbolic ref goes; a garbage ref file is no symbolic ref', () => {
  const { a, b } = pair((repo) => {
    git(repo, 'symbolic-ref', 'refs/heads/dangling', 'refs/heads/nowhere')
    writeFileSync(join(repo, '.git/refs/heads/garbage'), 'not a ref\n')
  })
  sameSteps(a, b, [
    ['symbolic-ref', '-d', 'refs/heads/dangling'],
    ['symbolic-ref', '-d', 'refs/heads/garbage'], // not a ref at all: No such ref
  ])
})

// A symbolic ref whose chain does not resolve (a loop, too deep, a garbage end) can still be
// deleted (or overwritten with --no-deref), as git deletes it.
test('symbolic-ref -d on a symref loop, a chain too deep and a symref to a garbage file', () => {
  const { a, b } = pair((repo) => {
    git(repo, 'symbolic-ref', 'refs/heads/loop-a', 'refs/heads/loop-b')
    git(repo, 'symbolic-ref', 'refs/heads/loop-b', 'refs/heads/loop-a')
    for (let i = 1; i <= 5; i++) git(repo, 'symbolic-ref', `refs/heads/d${i}`, `refs/heads/d${i + 1}`)
    git(repo, 'symbolic-ref', 'refs/heads/d6', 'refs/heads/main')
    writeFileSync(join(repo, '.git/refs/heads/garbage'), 'not a ref\n')
    git(repo, 'symbolic-ref', 'refs/heads/to-garbage', 'refs/heads/garbage')
  })
  sameSteps(a, b, [
    ['symbolic-ref', '-d', 'refs/heads/loop-a'],
    ['symbolic-ref', '-d', 'refs/heads/d1'],
    ['symbolic-ref', '-d', 'refs/heads/to-garbage'],
  ])
})

// git appends an entry to the reflog of the symbolic ref it sets (old: the id it resolved to, or
// zeros; new: the id the new target resolves to; none when that does not resolve), e.g. HEAD's
// `<c2> <c1> ... \t` for `symbolic-ref HEAD refs/heads/side`; the library's setSymbolic does the same.
test('symbolic-ref <name> <ref> and -d <name>: the same reflogs as git', () => {
  const { a, b } = pair()
  sameSteps(a, b, [...SET, ...DELETE], (repo) => ({ ...refState(repo), logs: reflogFiles(join(repo, '.git')) }))
})

test('symbolic-ref in a linked worktree sets and reads its own HEAD', () => {
  // Two repositories made the same way (a worktree holds absolute paths, so no copying).
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-symref-wt-'))
  temps.push(dir)
  const wts = {}
  for (const name of ['git', 'ours']) {
    const repo = join(dir, name)
    git(dir, 'init', '-q', '-b', 'main', name)
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'c0')
    git(repo, 'branch', 'side')
    git(repo, 'branch', 'other')
    git(repo, 'worktree', 'add', '-q', join(dir, `${name}-wt`), 'side')
    wts[name] = join(dir, `${name}-wt`)
  }
  const gitPath = (wt, ...args) => git(wt, 'rev-parse', '--path-format=absolute', ...args).toString().trim()
  const wtState = (wt) => ({
    ...refState(wt, gitPath(wt, '--git-dir')),
    mainHead: readFileSync(join(gitPath(wt, '--git-common-dir'), 'HEAD'), 'utf8'),
  })
  sameSteps(
    wts.git,
    wts.ours,
    [
      ['symbolic-ref', '-m', 'in the worktree', 'HEAD', 'refs/heads/other'],
      ['symbolic-ref', 'HEAD'],
      ['symbolic-ref', '-d', 'HEAD'],
    ],
    wtState,
  )
  assert.equal(git(wts.ours, 'symbolic-ref', 'HEAD').toString(), 'refs/heads/other\n')
  assert.equal(readFileSync(join(dir, 'ours', '.git/HEAD'), 'utf8'), 'ref: refs/heads/main\n')
})
