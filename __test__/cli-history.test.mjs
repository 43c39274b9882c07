// The history and tree commands of the command line (bin/ferrogit.js): rev-list, log, ls-tree,
// diff-tree, merge-base, cat-file --batch / --batch-check and hash-object must print what git
// prints, byte for byte, and exit as git does. Each case runs git and ferrogit with the same
// arguments (and stdin) and compares exit status, stdout and, where git's text is stable, stderr.
//
// Run: node --expose-gc --test --test-concurrency=1 __test__/cli-history.test.mjs

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { fixture, git, gitEnv } from './fixtures/repos.mjs'

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'ferrogit.js')

const scratch = []
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

// At most two processes at once (a 2-core machine; node's start-up dominates).
const LIMIT = 2
let active = 0
const waiting = []
async function spawnCapture(cmd, args, cwd, input) {
  while (active >= LIMIT) await new Promise((r) => waiting.push(r))
  active++
  try {
    return await new Promise((resolveRun, reject) => {
      const child = spawn(cmd, args, { cwd, env: gitEnv, stdio: ['pipe', 'pipe', 'pipe'] })
      const out = []
      const err = []
      child.stdout.on('data', (d) => out.push(d))
      child.stderr.on('data', (d) => err.push(d))
      child.on('error', reject)
      child.on('close', (status, signal) => resolveRun({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }))
      child.stdin.on('error', () => {})
      child.stdin.end(input ?? '')
    })
  } finally {
    active--
    waiting.shift()?.()
  }
}

let neutralCwd
const latin1 = (b) => b.toString('latin1')

/**
 * `git -C <dir> <args>` and `ferrogit -C <dir> <args>` (same stdin): the same exit status and
 * stdout bytes, and stderr too with `stderr: true`. Resolves to ferrogit's result.
 */
async function same(dir, args, { input, stderr = false } = {}) {
  const [g, f] = await Promise.all([
    spawnCapture('git', ['-C', dir, ...args], neutralCwd, input),
    spawnCapture(process.execPath, [BIN, '-C', dir, ...args], neutralCwd, input),
  ])
  const what = `${args.join(' ')} (in ${dir})`
  assert.equal(latin1(f.stdout), latin1(g.stdout), `stdout of ${what}; ferrogit stderr: ${f.stderr}`)
  assert.equal(f.status, g.status, `exit status of ${what}; git stderr: ${g.stderr}; ferrogit stderr: ${f.stderr}`)
  if (stderr) assert.equal(latin1(f.stderr), latin1(g.stderr), `stderr of ${what}`)
  return { git: g, ferrogit: f }
}

/** Every case at once (the runner limits how many processes run). */
const all = (dir, cases, opts) => Promise.all(cases.map((args) => same(dir, args, opts)))

/** ferrogit alone: exits `status` with a `fatal:`/`error:` message and prints nothing. */
async function refuses(dir, args, status, pattern, input) {
  const f = await spawnCapture(process.execPath, [BIN, '-C', dir, ...args], neutralCwd, input)
  assert.equal(f.status, status, `ferrogit ${args.join(' ')} exits ${status} (stderr: ${f.stderr})`)
  assert.equal(f.stdout.length, 0, `ferrogit ${args.join(' ')} prints nothing`)
  assert.match(f.stderr.toString(), pattern)
}

// A work tree with paths git has to quote, odd commit messages and idents, a merge and tags.
let repo
let odd // ids of commits with unusual raw text, by name
let small
let tiny

const NASTY_PATHS = ['dir with space/a b.txt', 'ünïcode/é.txt', 'q"uote/back\\slash', 'tab\there', 'nl\nname', 'del\x7fete', 'plain.txt']

function commitAt(dir, date, args, author = {}) {
  git(dir, 'commit', '-q', ...args, {
    env: { ...gitEnv, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, ...author },
  })
}

function buildRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-cli-history-'))
  scratch.push(dir)
  git(dir, 'init', '-q', '-b', 'main')
  for (const p of NASTY_PATHS) {
    mkdirSync(join(dir, dirname(p)), { recursive: true })
    writeFileSync(join(dir, p), `${p}\n`)
  }
  writeFileSync(join(dir, 'x'), 'x is a file first\n')
  symlinkSync('plain.txt', join(dir, 'link'))
  git(dir, 'add', '-A')
  commitAt(dir, '1600000000 +0000', ['-m', 'first commit'], { GIT_AUTHOR_NAME: 'Ann Äuthor', GIT_AUTHOR_EMAIL: 'ann@example.com' })

  // Changes of every kind: modify, add, delete, mode, symlink -> file, file -> directory.
  writeFileSync(join(dir, 'plain.txt'), 'plain.txt\nmore\n')
  mkdirSync(join(dir, 'sub'))
  writeFileSync(join(dir, 'sub', 's.txt'), 's\n')
  unlinkSync(join(dir, 'ünïcode/é.txt'))
  writeFileSync(join(dir, 'ünïcode/ñ.txt'), 'new\n')
  chmodSync(join(dir, 'dir with space/a b.txt'), 0o755)
  unlinkSync(join(dir, 'link'))
  writeFileSync(join(dir, 'link'), 'not a link any more\n')
  unlinkSync(join(dir, 'x'))
  mkdirSync(join(dir, 'x'))
  writeFileSync(join(dir, 'x', 'y'), 'y\n')
  git(dir, 'add', '-A')
  const message = '\n\nSubject line one\ncontinues here  \n\nBody paragraph 1.\n\nBody paragraph 2.   \n'
  writeFileSync(join(dir, '.msg'), message)
  commitAt(dir, '1700000000 -0730', ['--cleanup=verbatim', '-F', '.msg'], { GIT_AUTHOR_NAME: 'Bob', GIT_COMMITTER_NAME: 'Cé Committer' })
  unlinkSync(join(dir, '.msg'))

  // A side branch merged back (a merge commit), then more on main, then tags.
  git(dir, 'checkout', '-q', '-b', 'side')
  writeFileSync(join(dir, 'sub', 'side.txt'), 'side\n')
  git(dir, 'add', '-A')
  commitAt(dir, '1700100000 +0530', ['-m', 'side work'])
  git(dir, 'checkout', '-q', 'main')
  writeFileSync(join(dir, 'plain.txt'), 'plain.txt\nmore\nmain\n')
  git(dir, 'add', '-A')
  commitAt(dir, '1700200000 +1400', ['-m', 'main work'])
  git(dir, 'merge', '-q', '--no-ff', '-m', 'Merge side', 'side', { env: { ...gitEnv, GIT_AUTHOR_DATE: '1700300000 +0000', GIT_COMMITTER_DATE: '1700300000 +0000' } })
  commitAt(dir, '1700400000 -0000', ['--allow-empty', '-m', 'an empty commit'])
  git(dir, 'tag', '-a', '-m', 'release', 'v1.0', 'HEAD~1')
  git(dir, 'tag', 'light', 'HEAD~2')

  // Commits git itself would not write, hashed in as they are.
  const tree = git(dir, 'rev-parse', 'HEAD^{tree}').toString().trim()
  const parent = git(dir, 'rev-parse', 'HEAD').toString().trim()
  const raw = (msg, author = 'A U Thor <a@example.com> 1600000000 +0000', extra = '') =>
    git(dir, 'hash-object', '-t', 'commit', '-w', '--literally', '--stdin', {
      input: Buffer.concat([Buffer.from(`tree ${tree}\nparent ${parent}\nauthor ${author}\ncommitter C O Mitter <c@example.com> 1600000000 -0000\n${extra}`), Buffer.from(msg, 'latin1')]),
    })
      .toString()
      .trim()
  odd = {
    noNewline: raw('\nno newline at end'),
    blanks: raw('\n\n\n  \nleading blanks\n  trailing ws  \n\t\n\nbody\n\n\n', 'A <a@example.com> 1 +1400'),
    crlf: raw('\nsubj\r\nline2\r\n\r\nbody\r\n', ' <> 0 +1200'),
    empty: raw('\n'),
    noMessage: raw(''),
    bodyNoNewline: raw('\nsubj\n\nbody no nl', 'A U <a@x> 99999999999 +0000'),
    dots: raw('\n...Dots.. and -- dashes!..', 'A U <a@x> 12 0000'),
    brackets: raw('\nx', 'A  <<a@x>> 12 +0000 extra'),
    latin1: raw('\nsubj \xe9t\xe9\n\nbody \xe0\n', 'A\xe9 <a@x> 1 +0000', 'encoding ISO-8859-1\n'),
    beforeEpoch: raw('\nbefore the epoch', 'A <a@x> 0 -1200'),
  }
  for (const [name, oid] of Object.entries(odd)) git(dir, 'update-ref', `refs/odd/${name}`, oid)

  // Criss-cross merges: two merge bases.
  git(dir, 'checkout', '-q', '-b', 'cx', 'main')
  commitAt(dir, '1700500000 +0000', ['--allow-empty', '-m', 'cx1'])
  git(dir, 'checkout', '-q', '-b', 'cy', 'main')
  commitAt(dir, '1700500001 +0000', ['--allow-empty', '-m', 'cy1'])
  git(dir, 'checkout', '-q', 'cx')
  git(dir, 'merge', '-q', '--no-edit', '-m', 'mx', 'cy')
  git(dir, 'checkout', '-q', 'cy')
  git(dir, 'merge', '-q', '--no-edit', '-m', 'my', 'cx~1')
  git(dir, 'checkout', '-q', 'main')
  // An unrelated history.
  git(dir, 'checkout', '-q', '--orphan', 'lone')
  git(dir, 'rm', '-rq', '--cached', '.')
  commitAt(dir, '1700600000 +0000', ['--allow-empty', '-m', 'lone root'])
  git(dir, 'checkout', '-q', '-f', 'main')
  return dir
}

before(() => {
  neutralCwd = mkdtempSync(join(tmpdir(), 'ferrogit-cli-cwd-'))
  scratch.push(neutralCwd)
  repo = buildRepo()
  small = fixture('small')
  tiny = fixture('tiny')
})

describe('rev-list', () => {
  test('ranges, limits and orders (small)', async () => {
    await all(small, [
      ['rev-list', 'HEAD'],
      ['rev-list', '-n', '5', 'HEAD'],
      ['rev-list', '-n5', 'HEAD'],
      ['rev-list', '-3', 'HEAD'],
      ['rev-list', '--max-count=7', 'HEAD'],
      ['rev-list', '--max-count', '2', 'HEAD'],
      ['rev-list', '-n', '-1', 'HEAD~1990'],
      ['rev-list', '-n', '0', 'HEAD'],
      ['rev-list', '--topo-order', 'HEAD'],
      ['rev-list', '--date-order', 'HEAD'],
      ['rev-list', '--first-parent', 'HEAD'],
      ['rev-list', '--topo-order', '--first-parent', '-n', '40', 'HEAD'],
      ['rev-list', 'HEAD~3..HEAD'],
      ['rev-list', 'HEAD~3..'],
      ['rev-list', '..HEAD~3'],
      ['rev-list', 'topic/0001', '^HEAD~100'],
      ['rev-list', '^HEAD~100', 'topic/0001', 'topic/0002'],
      ['rev-list', 'topic/0001', '--not', 'HEAD~100'],
      ['rev-list', 'HEAD...HEAD~2'],
      ['rev-list', 'topic/0003...topic/0005'],
      ['rev-list', 'HEAD^@'],
      ['rev-list', 'HEAD^!'],
      ['rev-list', 'v1.0', '-2'], // an annotated tag, peeled; options after revisions
      ['rev-list', 'HEAD^{tree}'], // trees are not walked
      ['rev-list', '^HEAD'],
      ['rev-list', '--reverse', '-n', '3', 'HEAD'],
      ['rev-list', '--skip=5', '-3', 'HEAD'],
      ['rev-list', '--no-merges', '-n', '30', 'HEAD'],
      ['rev-list', '--merges', 'HEAD'],
      ['rev-list', '--tags', '--max-count=3'],
      ['rev-list', '--all'],
      ['rev-list', '--branches', '--not', 'main'],
    ])
  })

  test('--count', async () => {
    await all(small, [
      ['rev-list', '--count', 'HEAD'],
      ['rev-list', '-n', '2', '--count', 'HEAD'],
      ['rev-list', '--count', '--first-parent', 'HEAD'],
      ['rev-list', '--count', 'topic/0003...topic/0005'],
      ['rev-list', '--count', 'HEAD', '--', 'docs'],
    ])
  })

  test('path limiting', async () => {
    await all(small, [
      ['rev-list', 'HEAD', '--', 'docs'],
      ['rev-list', 'HEAD', '--', 'docs/'],
      ['rev-list', 'HEAD', '--', 'lib/pkg000'],
      ['rev-list', 'HEAD', '--', 'src', 'docs'],
      ['rev-list', 'HEAD', '--', '.'],
      ['rev-list', 'HEAD', '--', 'nosuch'],
      ['rev-list', '--first-parent', 'HEAD', '--', 'src'],
      ['rev-list', 'HEAD', 'config'], // a bare repository's file counts as a path, as in git
    ])
    await all(repo, [
      ['rev-list', 'HEAD', 'plain.txt'], // no `--`: an existing file is a path
      ['rev-list', 'HEAD', '--', 'ünïcode'],
      ['rev-list', 'HEAD', '--', 'dir with space/a b.txt'],
    ])
    await all(join(repo, 'sub'), [
      ['rev-list', 'HEAD', '--', '.'],
      ['rev-list', 'HEAD', '--', '../plain.txt'],
      ['rev-list', 'HEAD', 's.txt'],
    ])
  })

  test('errors: bad revisions, bad counts, unknown options, no revision', async () => {
    await all(
      small,
      [
        ['rev-list', 'nosuch'],
        ['rev-list', 'nosuch', '--'],
        ['rev-list', 'HEAD..nosuch'],
        ['rev-list', 'HEAD..nosuch', '--'],
        ['rev-list', '^nosuch'],
        ['rev-list', '-n'],
        ['rev-list', '-n', 'x', 'HEAD'],
        ['rev-list', '--max-count=', 'HEAD'],
        ['rev-list', '--max-count'],
        ['rev-list', '1111111111111111111111111111111111111111'],
        ['rev-list', 'HEAD', '--', ''],
        ['rev-list', '', 'HEAD'],
      ],
      { stderr: true },
    )
    await all(repo, [['rev-list', 'HEAD', 'plain.txt', 'nosuch'], ['rev-list', 'HEAD', 'plain.txt', '-n1'], ['rev-list', 'plain.txt', 'HEAD']], { stderr: true })
    // Usage (the text names ferrogit): only the status.
    await all(small, [['rev-list'], ['rev-list', '--bogus', 'HEAD'], ['rev-list', '--', 'docs']])
  })

  test('a name that is both a revision and a file is ambiguous', async () => {
    const dir = buildRepoCopyWithBranch('plain.txt')
    await all(dir, [['rev-list', 'plain.txt'], ['log', '--oneline', '^plain.txt', 'HEAD']], { stderr: true })
    await all(dir, [['rev-list', 'plain.txt', '--']])
  })
})

/** A fresh copy of the test repository with a branch called `name`. */
function buildRepoCopyWithBranch(name) {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-cli-history-br-'))
  scratch.push(dir)
  git(dir, 'clone', '-q', repo, 'w')
  const w = join(dir, 'w')
  git(w, 'branch', name)
  return w
}

describe('log', () => {
  test('--oneline and the default (one line per commit here)', async () => {
    await all(small, [
      ['log', '--oneline'],
      ['log', '--oneline', '-n', '5', 'topic/0001'],
      ['log', '--oneline', '--topo-order', '-n', '60'],
      ['log', '--oneline', '--date-order', '-n', '60'],
      ['log', '--oneline', '--first-parent', '-n', '60'],
      ['log', '--oneline', 'HEAD~30..HEAD'],
      ['log', '--oneline', '^HEAD~1990', 'topic/0033'],
      ['log', '--oneline', 'topic/0003...topic/0005'],
      ['log', '--oneline', '--', 'docs'],
      ['log', '--oneline', 'HEAD~40..HEAD', '--', 'src'],
      ['log', '--oneline', '--all', '-n', '50'],
      ['log', '--oneline', '--merges'],
      ['log', '--oneline', '--reverse', '-n', '4'],
      ['log', '--oneline', '^HEAD~1'],
      ['log', '--pretty=oneline', '-n', '3'],
      ['log', '--format=oneline', '--abbrev-commit', '-n', '3'],
      ['log', '--oneline', '--no-abbrev-commit', '-n', '3'],
    ])
    // Without a format option, ferrogit log prints what git log --oneline prints.
    const [g, f] = await Promise.all([
      spawnCapture('git', ['-C', small, 'log', '--oneline', '-n', '20', 'topic/0002'], neutralCwd),
      spawnCapture(process.execPath, [BIN, '-C', small, 'log', '-n', '20', 'topic/0002'], neutralCwd),
    ])
    assert.equal(f.status, 0)
    assert.equal(latin1(f.stdout), latin1(g.stdout))
  })

  test('--format placeholders', async () => {
    await all(repo, [
      ['log', '--format=%H%n%h %t %T %p %P'],
      ['log', '--format=%an|%ae|%al|%at|%ad|%cn|%ce|%cl|%ct|%cd'],
      ['log', '--format=%ai|%aI|%as|%aD|%ci|%cI|%cs|%cD'],
      ['log', '--format=[%s]'],
      ['log', '--format=[%b]'],
      ['log', '--format=[%B]'],
      ['log', '--format=%f|%e|%m'],
      ['log', '--format=%x00%x41%%%q%a%aZ%z%xZZ%x4%x'],
      ['log', '--format=%', '-n', '1'],
      ['log', '--format=%(foo)%gd%gs%gx'],
      ['log', '--format=%Cred%h%Creset %C(yellow)x%C(reset) %C(auto)%h %Cgreen%Cblue%Cfoo'],
      ['log', '--format=%+b|%-b|% b|%+s'],
      ['log', '--format=%m|%+q|a%n%-q|x%+|% s|%-'],
      ['log', '--format=%+w(10)x'],
      ['log', '--format=a%nb'],
      ['log', '--date=iso', '--format=%ad|%cd'],
      ['log', '--date=iso-strict', '--format=%ad|%cd'],
      ['log', '--date=rfc', '--format=%ad'],
      ['log', '--date=short', '--format=%ad'],
      ['log', '--date=raw', '--format=%ad'],
      ['log', '--date=unix', '--format=%ad'],
    ])
  })

  test('--format vs --pretty: tformat terminates each entry, format: separates them', async () => {
    await all(repo, [
      ['log', '--format='],
      ['log', '--format=%h'],
      ['log', '--pretty=%h'],
      ['log', '--pretty=tformat:%h'],
      ['log', '--pretty=format:%h'],
      ['log', '--pretty=format:'],
      ['log', '--pretty=tformat:'],
      ['log', '--format=tformat:%s%n'],
      ['log', '--format=%h', '-z'],
      ['log', '--pretty=format:%h', '-z'],
      ['log', '--oneline', '-z'],
      ['log', '--pretty=one'], // a prefix of a built-in format's name
      ['log', '--pretty=ONELINE'],
    ])
  })

  test('odd commit texts: no newline, blank lines, CRLF, empty, odd idents, ISO-8859-1', async () => {
    const fmt = '--format=[%s][%b][%B][%f][%an][%ae][%al][%at][%ad][%aD][%ai][%aI][%as][%aZ][%cn][%ct][%e]'
    const cases = []
    for (const name of Object.keys(odd)) {
      if (name === 'beforeEpoch') continue
      cases.push(['log', '-1', fmt, `refs/odd/${name}`], ['log', '-1', '--oneline', `refs/odd/${name}`], ['log', '-1', '--pretty=oneline', `refs/odd/${name}`])
    }
    await all(repo, cases)
    // git refuses a date before 1970 in the commit's own time zone.
    await all(repo, [['log', '-1', '--format=%ad', 'refs/odd/beforeEpoch'], ['log', '-1', '--format=%at %s', 'refs/odd/beforeEpoch']], { stderr: true })
  })

  test('revisions, paths and `--`, in a work tree and from a subdirectory', async () => {
    await all(repo, [
      ['log', '--oneline', '--all'],
      ['log', '--oneline', 'main~1', '--', 'sub'],
      ['log', '--oneline', '--', 'dir with space'],
      ['log', '--oneline', '--', 'ünïcode/é.txt'],
      ['log', '--oneline', 'plain.txt'],
      ['log', '--oneline', '--', 'nosuch'],
      ['log', '--oneline', 'v1.0'],
      ['log', '--oneline', 'cx..cy'],
      ['log', '--oneline', 'lone...main'],
    ])
    await all(join(repo, 'sub'), [['log', '--oneline', 's.txt'], ['log', '--oneline', '--', '../plain.txt'], ['log', '--oneline', '--', '.']])
  })

  test('errors', async () => {
    await all(
      repo,
      [
        ['log', '--oneline', 'nosuch'],
        ['log', '--bogus'],
        ['log', '--date=bogus'],
        ['log', '--pretty=bogus'],
        ['log', '--oneline', 'HEAD', 'plain.txt', 'nosuch'],
        ['log', '--oneline', '', 'HEAD'],
      ],
      { stderr: true },
    )
    const empty = mkdtempSync(join(tmpdir(), 'ferrogit-cli-history-empty-'))
    scratch.push(empty)
    git(empty, 'init', '-q', '-b', 'main')
    await all(empty, [['log'], ['log', '--oneline'], ['rev-list', 'HEAD'], ['rev-list', '--all']], { stderr: true })
  })

  test('what is not supported says so', async () => {
    await refuses(repo, ['log', '--pretty=medium'], 128, /not supported/)
    await refuses(repo, ['log', '--format=%ar'], 128, /not supported/)
    await refuses(repo, ['log', '--format=%d'], 128, /not supported/)
    await refuses(repo, ['log', '--oneline', 'cx...cy'], 128, /more than one merge base/)
    await refuses(repo, ['rev-list', 'HEAD', '--', '*.txt'], 128, /not supported/)
    await refuses(repo, ['log', '--graph'], 128, /option '--graph' is not supported/)
    await refuses(repo, ['rev-list', '--objects', 'HEAD'], 128, /option '--objects' is not supported/)
  })
})

describe('ls-tree', () => {
  test('listings, quoting of unusual paths, -r -t -d -l -z, --name-only, --object-only, --abbrev', async () => {
    await all(repo, [
      ['ls-tree', 'HEAD'],
      ['ls-tree', '-r', 'HEAD'],
      ['ls-tree', '-t', 'HEAD'],
      ['ls-tree', '-r', '-t', 'HEAD'],
      ['ls-tree', '-rt', 'HEAD'],
      ['ls-tree', '-d', 'HEAD'],
      ['ls-tree', '-r', '-d', 'HEAD'],
      ['ls-tree', '--name-only', 'HEAD'],
      ['ls-tree', '--name-status', '-r', 'HEAD'],
      ['ls-tree', '--object-only', '-r', 'HEAD'],
      ['ls-tree', '-l', 'HEAD'],
      ['ls-tree', '--long', '-r', 'HEAD'],
      ['ls-tree', '--abbrev', 'HEAD'],
      ['ls-tree', '--abbrev=5', '-r', 'HEAD'],
      ['ls-tree', '--abbrev=0', 'HEAD'],
      ['ls-tree', '-z', 'HEAD'],
      ['ls-tree', '-z', '-r', '--name-only', 'HEAD'],
      ['ls-tree', 'HEAD^{tree}'],
      ['ls-tree', 'HEAD:sub'],
      ['ls-tree', 'v1.0'],
      ['ls-tree', '--full-tree', 'HEAD'],
    ])
  })

  test('paths: a directory, its contents, several, nested, literal, relative', async () => {
    await all(repo, [
      ['ls-tree', 'HEAD', 'sub'],
      ['ls-tree', 'HEAD', 'sub/'],
      ['ls-tree', 'HEAD', 'su'],
      ['ls-tree', '-r', 'HEAD', 'sub'],
      ['ls-tree', '-t', 'HEAD', 'sub/s.txt'],
      ['ls-tree', 'HEAD', 'sub/s.txt', 'plain.txt', 'link'],
      ['ls-tree', '-r', 'HEAD', 'sub', 'plain.txt'],
      ['ls-tree', 'HEAD', 'nosuch'],
      ['ls-tree', 'HEAD', 'dir with space/'],
      ['ls-tree', 'HEAD', 'dir with space'],
      ['ls-tree', '-d', 'HEAD', 'dir with space/'],
      ['ls-tree', 'HEAD', '*.txt'], // ls-tree paths are literal
      ['ls-tree', 'HEAD', './sub'],
      ['ls-tree', 'HEAD', 'sub/../plain.txt'],
      ['ls-tree', 'HEAD', '.'],
      ['ls-tree', '-r', 'HEAD', 'ünïcode'],
      ['ls-tree', '-r', 'HEAD', 'q"uote/back\\slash'],
      ['ls-tree', 'HEAD', 'nl\nname', 'tab\there'],
      ['ls-tree', '--full-name', 'HEAD', 'sub'],
    ])
    await all(join(repo, 'sub'), [
      ['ls-tree', 'HEAD'],
      ['ls-tree', '-r', 'HEAD'],
      ['ls-tree', 'HEAD', 's.txt'],
      ['ls-tree', 'HEAD', '../plain.txt'],
      ['ls-tree', '-t', 'HEAD', '../sub/s.txt'],
      ['ls-tree', '--full-name', 'HEAD'],
      ['ls-tree', '--full-tree', 'HEAD'],
      ['ls-tree', 'HEAD', '..'],
    ])
  })

  test('small and tiny: nested trees, symlinks, a gitlink', async () => {
    await all(small, [
      ['ls-tree', '-r', 'HEAD'],
      ['ls-tree', '-r', '-t', 'HEAD', 'lib'],
      ['ls-tree', 'HEAD', 'lib/pkg000'],
      ['ls-tree', 'HEAD', 'lib/pkg000/'],
      ['ls-tree', '-t', 'HEAD', 'lib/pkg000/sub'],
      ['ls-tree', '-d', '-r', 'HEAD'],
      ['ls-tree', '-l', '-r', 'HEAD', 'src'],
      ['ls-tree', '-r', 'HEAD', 'lib/pkg000', 'src/mod008'],
      ['ls-tree', '-d', 'HEAD', 'lib/pkg000/sub', 'lib'],
      ['ls-tree', '-r', '--abbrev', 'v1.0', 'lib'],
    ])
    await all(tiny, [
      ['ls-tree', '-r', '-t', 'HEAD'],
      ['ls-tree', '-d', '-r', 'HEAD'],
      ['ls-tree', 'HEAD', 'vendor/sub/'],
      ['ls-tree', '-d', 'HEAD', 'vendor/sub'],
      ['ls-tree', '-l', '-r', 'v1.0'],
    ])
  })

  test('--format', async () => {
    await all(repo, [
      ['ls-tree', '--format=%(objectname)', 'HEAD'],
      ['ls-tree', '--format=%(objectmode) %(objecttype) %(objectsize) %(objectsize:padded)%x09%(path)%n', '-r', 'HEAD'],
      ['ls-tree', '--format=[%(path)]%%', '-z', 'HEAD'],
    ])
    await all(repo, [['ls-tree', '--format=%(foo)', 'HEAD'], ['ls-tree', '--format=%(path', 'HEAD'], ['ls-tree', '--format=%x41%(path)%', 'HEAD']], { stderr: true })
  })

  test('errors', async () => {
    await all(
      repo,
      [
        ['ls-tree', 'nosuch'],
        ['ls-tree', 'HEAD:plain.txt'],
        ['ls-tree', 'HEAD', ''],
        ['ls-tree', '--name-only', '--object-only', 'HEAD'],
      ],
      { stderr: true },
    )
    await all(join(repo, 'sub'), [['ls-tree', 'HEAD', '../..']], { stderr: true })
    await all(repo, [['ls-tree'], ['ls-tree', '--bogus', 'HEAD'], ['ls-tree', '--format=x', '--name-only', 'HEAD']])
  })
})

describe('diff-tree', () => {
  test('two trees: raw, -r, -t, --name-only, --name-status, -z, --abbrev, -R', async () => {
    await all(repo, [
      ['diff-tree', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-r', '-t', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-t', 'HEAD~4', 'HEAD'],
      ['diff-tree', '--raw', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '--name-only', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '--name-status', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-z', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-z', '--name-only', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-z', '--name-status', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '--abbrev', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '--abbrev=4', '-r', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-r', '-R', 'HEAD~4', 'HEAD'],
      ['diff-tree', '-t', '-R', 'HEAD~4', 'HEAD'],
      ['diff-tree', 'HEAD~4..HEAD'],
      ['diff-tree', 'HEAD', '^HEAD~4'],
      ['diff-tree', 'HEAD^{tree}', 'HEAD~4^{tree}'],
      ['diff-tree', '-r', 'v1.0', 'light'],
      ['diff-tree', 'HEAD', 'HEAD~1', 'HEAD~2'], // more than two: nothing, as git
    ])
    await all(small, [
      ['diff-tree', '-r', 'HEAD~20', 'HEAD'],
      ['diff-tree', '-t', 'HEAD~20', 'HEAD'],
      ['diff-tree', '--abbrev=5', '-r', 'HEAD~20', 'HEAD'],
      ['diff-tree', '-r', 'topic/0001', 'topic/0002'],
      ['diff-tree', '-r', 'v1.0', 'HEAD'],
    ])
  })

  test('one commit: against its parent, id first; root commits with --root; merges with -m', async () => {
    await all(repo, [
      ['diff-tree', 'HEAD~3'],
      ['diff-tree', '-r', 'HEAD~3'],
      ['diff-tree', '-r', '--no-commit-id', 'HEAD~3'],
      ['diff-tree', '-s', 'HEAD~3'],
      ['diff-tree', '-z', 'HEAD~3'],
      ['diff-tree', 'HEAD'], // an empty commit: nothing
      ['diff-tree', '-s', 'HEAD'],
      ['diff-tree', 'main~4'], // the root commit: nothing without --root
      ['diff-tree', '--root', 'main~4'],
      ['diff-tree', '--root', '-r', 'main~4'],
      ['diff-tree', '-R', '--root', 'main~4'],
      ['diff-tree', 'HEAD~1'], // a merge: nothing without -m
      ['diff-tree', '-m', 'HEAD~1'],
      ['diff-tree', '-m', '-r', 'HEAD~1'],
      ['diff-tree', '-m', '-s', 'HEAD~1'],
      ['diff-tree', 'v1.0'], // a tag of the merge
    ])
    await all(small, [['diff-tree', '-m', '4811a49'], ['diff-tree', '-r', 'f499cda'], ['diff-tree', '-t', 'f499cda']])
  })

  test('paths', async () => {
    await all(repo, [
      ['diff-tree', 'HEAD~4', 'HEAD', '--', 'sub/s.txt'],
      ['diff-tree', 'HEAD~4', 'HEAD', '--', 'sub'],
      ['diff-tree', 'HEAD~4', 'HEAD', '--', 'sub/'],
      ['diff-tree', 'HEAD~4', 'HEAD', '--', 'su'],
      ['diff-tree', '-r', 'HEAD~4', 'HEAD', '--', 'su'],
      ['diff-tree', '-r', 'HEAD~4', 'HEAD', '--', 'sub/'],
      ['diff-tree', '-r', 'HEAD~4', 'HEAD', '--', 'plain.txt/'],
      ['diff-tree', '-r', 'HEAD~4', 'HEAD', '--', 'dir with space', 'sub'],
      ['diff-tree', '-r', '-t', 'HEAD~4', 'HEAD', '--', 'sub/s.txt'],
      ['diff-tree', '-r', '-t', 'HEAD~4', 'HEAD', '--', 'ünïcode/ñ.txt'],
      ['diff-tree', '-r', 'HEAD~4', 'HEAD', '--', 'ünïcode', 'x'],
      ['diff-tree', 'HEAD~4', 'HEAD', 'plain.txt'],
      ['diff-tree', '-r', 'HEAD~3', '--', 'sub'],
      ['diff-tree', '-r', 'HEAD~3', '--', 'nosuch'],
    ])
    await all(join(repo, 'sub'), [['diff-tree', '-r', 'HEAD~4', 'HEAD', '--', '.']])
  })

  test('errors', async () => {
    await all(
      repo,
      [
        ['diff-tree', 'nosuch'],
        ['diff-tree', 'HEAD', 'nosuch'],
        ['diff-tree', 'HEAD^{tree}'], // error: not a commit, exit 0
        ['diff-tree', 'HEAD:plain.txt'],
        ['diff-tree', 'HEAD:plain.txt', 'HEAD'],
      ],
      { stderr: true },
    )
    await all(repo, [['diff-tree']])
    await refuses(repo, ['diff-tree', '-p', 'HEAD~3'], 129, /not supported/)
  })
})

describe('merge-base', () => {
  test('the best common ancestor, --is-ancestor, --all with one base', async () => {
    await all(small, [
      ['merge-base', 'HEAD', 'topic/0001'],
      ['merge-base', 'f499cda', '29b784d'],
      ['merge-base', 'v1.0', 'HEAD'],
      ['merge-base', '--all', 'HEAD', 'f499cda'],
      ['merge-base', '-a', 'topic/0003', 'topic/0005'],
      ['merge-base', '--is-ancestor', 'f499cda', 'HEAD'],
      ['merge-base', '--is-ancestor', 'HEAD', 'f499cda'],
    ])
    await all(repo, [
      ['merge-base', 'main', 'side'],
      ['merge-base', 'cx', 'cy'], // criss-cross: git's first best
      ['merge-base', 'lone', 'main'], // none: exit 1, no output
      ['merge-base', '--is-ancestor', 'lone', 'main'],
    ])
  })

  test('errors', async () => {
    await all(small, [['merge-base', 'nosuch', 'HEAD'], ['merge-base', 'HEAD', 'nosuch'], ['merge-base', 'HEAD^{tree}', 'HEAD'], ['merge-base', 'HEAD:README', 'HEAD']], {
      stderr: true,
    })
    await all(small, [['merge-base'], ['merge-base', 'HEAD'], ['merge-base', '--is-ancestor', 'HEAD'], ['merge-base', '--bogus']])
    await refuses(repo, ['merge-base', '--all', 'cx', 'cy'], 128, /not supported/)
    await refuses(small, ['merge-base', '--octopus', 'HEAD', 'f499cda'], 128, /not supported/)
  })
})

describe('cat-file --batch / --batch-check', () => {
  const names = [
    'HEAD',
    'HEAD:sub',
    'nosuch',
    '',
    'HEAD:plain.txt',
    '1111111111111111111111111111111111111111',
    '  HEAD',
    'HEAD  ',
    'HEAD extra',
    '0000',
    'HEAD:nl\\nname',
    'HEAD^{tree}\r',
    'HEAD:ünïcode/ñ.txt',
    'HEAD:link',
    'HEAD:dir with space',
    '\tHEAD',
    'HEAD\tx y',
    'v1.0',
    'light',
  ]
  const input = `${names.join('\n')}\nHEAD:sub/s.txt`

  test('default formats, missing objects, whole lines as names', async () => {
    await all(repo, [['cat-file', '--batch-check'], ['cat-file', '--batch'], ['cat-file', '--batch', '--buffer']], { input, stderr: true })
    await all(repo, [['cat-file', '--batch-check'], ['cat-file', '--batch']], { input: '' })
  })

  test('custom formats and %(rest)', async () => {
    await all(
      repo,
      [
        ['cat-file', '--batch-check=%(objectname)|%(objecttype)|%(objectsize)|%(rest)'],
        ['cat-file', '--batch=%(objecttype) %(rest)'],
        ['cat-file', '--batch-check=%%%x41'],
        ['cat-file', '--batch-check='],
      ],
      { input, stderr: true },
    )
    await all(repo, [['cat-file', '--batch-check=x%(foo)'], ['cat-file', '--batch-check=%(objectname']], { input, stderr: true })
  })

  test('every kind of object of small, and ambiguous short ids', async () => {
    const ids = git(small, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)').toString().split('\n').filter(Boolean)
    const some = ids.filter((_, k) => k % 40 === 0)
    const prefixes = new Map()
    for (const id of ids) prefixes.set(id.slice(0, 4), (prefixes.get(id.slice(0, 4)) ?? 0) + 1)
    const ambiguous = [...prefixes].filter(([, n]) => n > 1).map(([p]) => p).slice(0, 3)
    assert.ok(ambiguous.length > 0, 'small has ids sharing 4 hex digits')
    const text = ['HEAD', 'v1.0', 'HEAD:README', 'HEAD^{tree}', 'light10', ...some, ...ambiguous].join('\n') + '\n'
    await all(small, [['cat-file', '--batch'], ['cat-file', '--batch-check']], { input: text })
  })

  test('answers each line as it arrives (no --buffer)', async () => {
    const child = spawn(process.execPath, [BIN, '-C', repo, 'cat-file', '--batch-check'], { env: gitEnv })
    const got = []
    const head = git(repo, 'rev-parse', 'HEAD').toString().trim()
    await new Promise((resolveDone, reject) => {
      child.on('error', reject)
      child.stdout.on('data', (d) => {
        got.push(d.toString())
        // The first answer comes before stdin is closed.
        if (got.length === 1) child.stdin.end('nosuch\n')
      })
      child.on('close', resolveDone)
      child.stdin.write('HEAD\n')
    })
    assert.equal(got.join(''), `${head} commit ${git(repo, 'cat-file', '-s', 'HEAD').toString().trim()}\nnosuch missing\n`)
  })

  test('errors and what is not supported', async () => {
    await all(repo, [['cat-file', '--batch-check', '--batch'], ['cat-file', '--batch', 'HEAD']], { input: 'HEAD\n' })
    await refuses(repo, ['cat-file', '--batch-all-objects', '--batch-check'], 128, /not supported/)
  })
})

describe('hash-object', () => {
  test('files, --stdin, --stdin-paths, -t with --literally', async () => {
    writeFileSync(join(neutralCwd, 'hello.txt'), 'hello')
    const hello = join(neutralCwd, 'hello.txt')
    await all(repo, [
      ['hash-object', hello, 'plain.txt'],
      ['hash-object', '--no-filters', 'plain.txt', 'link', 'dir with space/a b.txt'],
      ['hash-object', '-t', 'blob', '--literally', '--', 'plain.txt'],
      ['hash-object', '-tblob', 'plain.txt'],
      ['hash-object', '-t', 'commit', '--literally', 'plain.txt'],
      ['hash-object', '-t', 'foo', '--literally', 'plain.txt'],
      ['hash-object', '--path=x', 'plain.txt'],
      ['hash-object'],
    ])
    await all(repo, [['hash-object', '--stdin', 'plain.txt'], ['hash-object', '--stdin', '-t', 'tag', '--literally']], { input: 'hi\n' })
    await all(repo, [['hash-object', '--stdin-paths']], { input: 'plain.txt\nsub/s.txt\n"dir with space/a b.txt"\n"\\303\\274n\\303\\257code/\\303\\261.txt"\n' })
    // Outside a repository too.
    await all(neutralCwd, [['hash-object', 'hello.txt']])
  })

  test('errors and -w', async () => {
    await all(repo, [['hash-object', '-t', 'bogus', 'plain.txt'], ['hash-object', 'nosuch'], ['hash-object', 'sub']], { stderr: true })
    await all(repo, [['hash-object', '--stdin', '--stdin-paths'], ['hash-object', '--stdin-paths', 'x'], ['hash-object', '--bogus']])
    await refuses(repo, ['hash-object', '-w', '-t', 'commit', '--literally', 'plain.txt'], 129, /blobs only/)
  })

  test('-w stores the blob git would store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrogit-hashw-'))
    try {
      for (const name of ['g', 'f']) {
        git(dir, 'init', '-q', name)
        writeFileSync(join(dir, name, 'x.txt'), 'stored by -w\n')
      }
      const g = await spawnCapture('git', ['hash-object', '-w', 'x.txt'], join(dir, 'g'))
      const r = await spawnCapture(process.execPath, [BIN, 'hash-object', '-w', 'x.txt'], join(dir, 'f'))
      assert.equal(r.status, 0)
      assert.equal(r.stdout.toString(), g.stdout.toString())
      const id = g.stdout.toString().trim()
      assert.deepEqual(git(join(dir, 'f'), 'cat-file', 'blob', id), git(join(dir, 'g'), 'cat-file', 'blob', id))
      assert.equal(git(join(dir, 'f'), 'fsck', '--strict', '--no-dangling').toString(), '')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    await refuses(repo, ['hash-object', '-t', 'tree', 'plain.txt'], 128, /--literally/)
  })
})
