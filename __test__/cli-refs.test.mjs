// The refs commands of the command line (bin/ferrogit.js): show-ref, for-each-ref and
// symbolic-ref must print exactly what git prints, byte for byte, exit as git does, and write
// to stderr when (and only when) git does. Mostly on the `refs` fixture (100,000 packed refs,
// 1,000 loose ones, symref chains) and its linked worktree.
//
// Run: node --expose-gc --test __test__/cli-refs.test.mjs

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { copyOf, fixture, git, run } from './fixtures/repos.mjs'

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'ferrogit.js')

const scratch = []
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

let neutralCwd
const ferrogit = (args) => run(process.execPath, [BIN, ...args], neutralCwd)
const gitRun = (args) => run('git', args, neutralCwd)

/** Byte-exact comparison; on a mismatch, report the first differing line rather than megabytes of diff. */
function sameBytes(actual, expected, what) {
  if (actual.equals(expected)) return
  const a = actual.toString('latin1').split('\n')
  const e = expected.toString('latin1').split('\n')
  let i = 0
  while (i < a.length && i < e.length && a[i] === e[i]) i++
  assert.fail(
    `${what}: output differs from git's at line ${i + 1} (ferrogit ${a.length - 1} lines, git ${e.length - 1} lines)\n` +
      `  ferrogit: ${JSON.stringify(a[i])}\n  git:      ${JSON.stringify(e[i])}`,
  )
}

const lines = (buf) => buf.toString('latin1').split('\n').slice(0, -1)

/**
 * `git -C dir ...args` and `ferrogit -C dir ...args`: same exit status, same stdout bytes, and
 * stderr written by both or by neither (`exactStderr`: the same stderr bytes too).
 */
async function same(dir, args, { exactStderr = false, status } = {}) {
  const [g, f] = await Promise.all([gitRun(['-C', dir, ...args]), ferrogit(['-C', dir, ...args])])
  const what = `${args.join(' ')} (in ${dir})`
  if (status !== undefined) assert.equal(g.status, status, `git ${what} exits ${status}: ${g.stderr}`)
  assert.equal(f.status, g.status, `ferrogit ${what} exits as git does (${g.status}); stderr: ${f.stderr}`)
  sameBytes(f.stdout, g.stdout, `ferrogit ${what}`)
  assert.equal(f.stderr.length > 0, g.stderr.length > 0, `ferrogit ${what}: stderr ${JSON.stringify(String(f.stderr))} vs git's ${JSON.stringify(String(g.stderr))}`)
  if (exactStderr) sameBytes(f.stderr, g.stderr, `ferrogit ${what} stderr`)
  return f
}

let refs, wt, tiny
before(() => {
  neutralCwd = mkdtempSync(join(tmpdir(), 'ferrogit-cli-refs-cwd-'))
  scratch.push(neutralCwd)
  refs = fixture('refs')
  wt = `${refs}-wt`
  tiny = fixture('tiny')
})

// Full listings (100k refs each way) are limited to four: show-ref and for-each-ref on the
// repository, show-ref -d and for-each-ref --format in the worktree.
describe('show-ref', () => {
  test('show-ref (every ref, loose over packed, symrefs resolved)', async () => {
    const f = await same(refs, ['show-ref'], { status: 0 })
    const out = lines(f.stdout)
    assert.equal(out.length, 101000, 'every ref under refs/, HEAD left out')
    assert.ok(out.every((l) => /^[0-9a-f]{40} refs\//.test(l)))
  })

  test('show-ref -d in the worktree (per-worktree refs, ^{} lines for annotated tags)', async () => {
    const f = await same(wt, ['show-ref', '-d'], { status: 0 })
    const out = lines(f.stdout)
    assert.equal(out.filter((l) => l.endsWith('^{}')).length, 1000, 'one peeled line per annotated tag')
    assert.ok(out.some((l) => l.endsWith(' refs/bisect/bad')) && out.some((l) => l.endsWith(' refs/worktree/mark')))
  })

  test('--heads (--branches), --tags, -s', async () => {
    await Promise.all([
      same(wt, ['show-ref', '--heads'], { status: 0 }),
      same(refs, ['show-ref', '--tags'], { status: 0 }),
      same(refs, ['show-ref', '-s', 'main', 'at/00999']),
    ])
  })

  test('patterns match the tail of a name on component boundaries; -d on nested tag names', async () => {
    const [f] = await Promise.all([
      same(refs, ['show-ref', 'main'], { status: 0 }),
      same(refs, ['show-ref', '-d', 'at/00042', 'tags/t/000042', 'b/00/000042', 'heads/s3'], { status: 0 }),
    ])
    assert.deepEqual(lines(f.stdout).map((l) => l.split(' ')[1]), ['refs/heads/main', 'refs/remotes/origin/main'])
  })

  // The rest of the options, on the small fixture (11 refs, loose tags, a tag of a tag).
  test('no match (exit 1), -q, --head, --branches/--tags, --hash=<n>, --abbrev[=<n>] (tiny)', async () => {
    await Promise.all([
      same(tiny, ['show-ref', 'ain'], { status: 1 }), // not on a component boundary
      same(tiny, ['show-ref', '-q', 'main'], { status: 0 }),
      same(tiny, ['show-ref', '-q', 'no/such/ref'], { status: 1 }),
      same(tiny, ['show-ref', '-d'], { status: 0 }), // peeled through the odb, tag of a tag fully
      same(tiny, ['show-ref', '--head', '-s', 'HEAD', 'feature']),
      same(tiny, ['show-ref', '--tags', '--branches', '-d', '--hash=4']),
      same(tiny, ['show-ref', '--abbrev', '-d', 'v1.0-signed', 'light']),
      same(tiny, ['show-ref', '--abbrev=12', 'main']),
      same(wt, ['show-ref', '--head', 'wt-branch']),
    ])
  })

  test('--verify needs full names; a missing one is fatal (128), or exit 1 with -q', async () => {
    await Promise.all([
      same(refs, ['show-ref', '--verify', 'refs/heads/main'], { status: 0 }),
      same(wt, ['show-ref', '--verify', 'refs/heads/main'], { status: 0 }),
      same(wt, ['show-ref', '--verify', '-d', 'HEAD', 'refs/tags/at/00007', 'refs/heads/s3', 'refs/worktree/mark']),
      same(refs, ['show-ref', '--verify', 'refs/heads/nope'], { status: 128, exactStderr: true }),
      same(refs, ['show-ref', '--verify', 'main'], { status: 128, exactStderr: true }),
      same(refs, ['show-ref', '--verify', '-q', 'refs/heads/nope'], { status: 1 }),
      same(refs, ['show-ref', '--verify', '-q', 'refs/heads/main'], { status: 0 }),
      same(refs, ['show-ref', '--verify'], { status: 128, exactStderr: true }),
    ])
  })

  test('--exists: 0 when the ref exists (a symref need not resolve), 2 when it does not', async () => {
    await Promise.all([
      same(refs, ['show-ref', '--exists', 'refs/heads/main'], { status: 0 }),
      same(refs, ['show-ref', '--exists', 'refs/heads/s3'], { status: 0 }),
      same(refs, ['show-ref', '--exists', 'HEAD'], { status: 0 }),
      same(wt, ['show-ref', '--exists', 'refs/bisect/bad'], { status: 0 }),
      same(refs, ['show-ref', '--exists', 'refs/bisect/bad'], { status: 2, exactStderr: true }),
      same(refs, ['show-ref', '--exists', 'refs/heads/nope'], { status: 2, exactStderr: true }),
      same(refs, ['show-ref', '--exists', 'refs/heads'], { status: 2, exactStderr: true }), // a directory
      same(refs, ['show-ref', '--exists', 'main'], { status: 2, exactStderr: true }),
      same(refs, ['show-ref', '--exists'], { status: 128, exactStderr: true }),
      same(refs, ['show-ref', '--exists', 'a', 'b'], { status: 128, exactStderr: true }),
      same(refs, ['show-ref', '--verify', '--exists', 'refs/heads/main'], { status: 128, exactStderr: true }),
    ])
  })

  test('a bad option or --hash value exits 129', async () => {
    await Promise.all([
      same(refs, ['show-ref', '--bogus'], { status: 129 }),
      same(refs, ['show-ref', '--hash=x'], { status: 129 }),
    ])
  })
})

describe('for-each-ref', () => {
  const FORMAT = '--format=%(refname:short) %(objectname:short) %(objecttype) %(*objectname)'

  test('default format (every ref)', async () => {
    const f = await same(refs, ['for-each-ref'], { status: 0 })
    const out = lines(f.stdout)
    assert.equal(out.length, 101000)
    assert.ok(out.every((l) => /^[0-9a-f]{40} (commit|tag)\trefs\//.test(l)))
  })

  test(`${FORMAT} (git's shortening and unique abbreviation, peeled tags)`, async () => {
    // Every ref in the worktree; a few thousand in the repository (git takes seconds for 100k here).
    const [f, part] = await Promise.all([
      same(wt, ['for-each-ref', FORMAT], { status: 0 }),
      same(refs, ['for-each-ref', FORMAT, 'refs/tags/at/', 'refs/heads/loose/', 'refs/remotes/', 'refs/heads/s*', 'refs/heads/main'], { status: 0 }),
    ])
    assert.equal(lines(part.stdout).length, 1000 + 500 + 2 + 3 + 1)
    const out = lines(f.stdout)
    assert.ok(out.includes(`origin ${out.find((l) => l.startsWith('origin/main ')).split(' ')[1]} commit `), 'refs/remotes/origin/HEAD shortens to "origin"')
    assert.equal(out.filter((l) => / tag [0-9a-f]{40}$/.test(l)).length, 1000)
  })

  test('a prefix, globs, --count, --sort=-refname', async () => {
    await Promise.all([
      same(wt, ['for-each-ref', 'refs/tags/'], { status: 0 }),
      same(refs, ['for-each-ref', 'refs/tags/at/000[1-3]*'], { status: 0 }),
      same(refs, ['for-each-ref', FORMAT, 'refs/heads/b/0[01]/00000?', 'refs/tags/at']),
      same(refs, ['for-each-ref', 'refs/heads/s?', 'refs/remotes/**']),
      same(tiny, ['for-each-ref', 'refs/*/v*', '**/feature', 'refs/t?gs/light']),
      same(refs, ['for-each-ref', 'refs/tags/at/000']), // not a component prefix, not a glob: nothing
      same(refs, ['for-each-ref', '--count=5'], { status: 0 }),
      same(refs, ['for-each-ref', '--count=3', '--sort=-refname', 'refs/heads/loose/']),
      same(refs, ['for-each-ref', '--sort=-refname', 'refs/tags/at/'], { status: 0 }),
      same(wt, ['for-each-ref', '--sort=-refname', FORMAT, 'refs/worktree', 'refs/bisect', 'refs/heads/s*']),
    ])
  })

  test('symbolic refs: the object at the end of the chain; %(symref)', async () => {
    const fmt = '--format=%(refname) %(refname:short) %(symref) %(symref:short) %(objectname) %(objecttype)'
    const f = await same(refs, ['for-each-ref', fmt, 'refs/heads/s*', 'refs/heads/main', 'refs/remotes/'], { status: 0 })
    assert.ok(lines(f.stdout).some((l) => l.startsWith('refs/heads/s3 s3 refs/heads/main main ')))
    await same(wt, ['for-each-ref', fmt, 'refs/heads/s*', 'refs/heads/wt-branch', 'refs/remotes/'])
  })

  test('sizes, tag targets, escapes, several sort keys', async () => {
    await Promise.all([
      same(refs, ['for-each-ref', '--format=%(objectsize) %(*objecttype) %(*objectsize)%00%%%41%zz|%(refname:lstrip=-2)|%(refname:rstrip=2)', 'refs/tags/at/0000*', 'refs/heads/loose/000*']),
      same(refs, ['for-each-ref', '--sort=objecttype', '--sort=-objectsize', '--format=%(objectsize) %(objecttype) %(refname)', 'refs/tags/at/0000*', 'refs/heads/loose/000*']),
      same(refs, ['for-each-ref', '--sort=-*objectname', '--format=%(*objectname) %(refname)', 'refs/tags/at/001*']),
      same(tiny, ['for-each-ref', '--format=%(refname) %(objecttype) %(*objectname) %(*objecttype) %(objectname:short=4)']),
    ])
  })

  test('format errors exit as git does', async () => {
    await Promise.all([
      same(refs, ['for-each-ref', '--format=%(nosuchatom)'], { status: 128, exactStderr: true }),
      same(refs, ['for-each-ref', '--format=%(refname:bogus)'], { status: 128, exactStderr: true }),
      same(refs, ['for-each-ref', '--format=%(refname'], { status: 129 }),
      same(refs, ['for-each-ref', '--sort=nosuchatom'], { status: 128, exactStderr: true }),
      same(refs, ['for-each-ref', '--count=-1'], { status: 129 }),
    ])
  })
})

describe('symbolic-ref', () => {
  test('HEAD and --short HEAD, in the repository and in the worktree', async () => {
    await Promise.all(
      [refs, wt].flatMap((dir) => [
        same(dir, ['symbolic-ref', 'HEAD'], { status: 0 }),
        same(dir, ['symbolic-ref', '--short', 'HEAD'], { status: 0 }),
      ]),
    )
  })

  test('a chain s3 -> s2 -> s1 -> main: followed to its end, or one step with --no-recurse', async () => {
    const [full, one] = await Promise.all([
      same(refs, ['symbolic-ref', 'refs/heads/s3'], { status: 0 }),
      same(refs, ['symbolic-ref', '--no-recurse', 'refs/heads/s3'], { status: 0 }),
      same(refs, ['symbolic-ref', '--short', 'refs/heads/s3']),
      same(refs, ['symbolic-ref', '--short', '--no-recurse', 'refs/heads/s2']),
      same(refs, ['symbolic-ref', '--no-recurse', 'refs/heads/s1']),
      same(refs, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']),
      same(wt, ['symbolic-ref', '--no-recurse', 'refs/heads/s3']),
    ])
    assert.equal(full.stdout.toString(), 'refs/heads/main\n')
    assert.equal(one.stdout.toString(), 'refs/heads/s2\n')
  })

  test('a ref that is not symbolic: fatal (128), or exit 1 quietly with -q', async () => {
    await Promise.all([
      same(refs, ['symbolic-ref', 'refs/heads/main'], { status: 128, exactStderr: true }),
      same(refs, ['symbolic-ref', '-q', 'refs/heads/main'], { status: 1 }),
      same(refs, ['symbolic-ref', 'refs/heads/nope'], { status: 128, exactStderr: true }),
      same(refs, ['symbolic-ref', '-q', 'refs/heads/nope'], { status: 1 }),
      same(refs, ['symbolic-ref', 'refs/heads/a..b'], { status: 128, exactStderr: true }),
      same(refs, ['symbolic-ref'], { status: 129 }),
    ])
  })
})

describe('broken symbolic refs (a copy of tiny)', () => {
  let dir
  before(() => {
    dir = copyOf('tiny')
    scratch.push(dirname(dir))
    git(dir, 'symbolic-ref', 'refs/heads/dangling', 'refs/heads/nowhere')
    // d1 -> d2 -> ... -> d5 -> main: five symrefs, one more than git follows (SYMREF_MAXDEPTH 5 reads);
    // d2 -> ... -> main: four, fine.
    for (let i = 1; i <= 4; i++) git(dir, 'symbolic-ref', `refs/heads/d${i}`, `refs/heads/d${i + 1}`)
    git(dir, 'symbolic-ref', 'refs/heads/d5', 'refs/heads/main')
  })

  test('listings skip a dangling symref and a chain too deep for git; --verify/--exists/symbolic-ref on them', async () => {
    const f = await same(dir, ['show-ref'], { status: 0 })
    assert.ok(!lines(f.stdout).some((l) => / refs\/heads\/(dangling|d1)$/.test(l)))
    await Promise.all([
      same(dir, ['for-each-ref', '--format=%(refname) %(symref) %(objectname:short)']),
      same(dir, ['show-ref', '--verify', 'refs/heads/d2'], { status: 0 }),
      same(dir, ['show-ref', '--verify', 'refs/heads/d1'], { status: 128, exactStderr: true }),
      same(dir, ['show-ref', '--verify', 'refs/heads/dangling'], { status: 128, exactStderr: true }),
      same(dir, ['show-ref', '--exists', 'refs/heads/dangling'], { status: 0 }),
      same(dir, ['show-ref', '--exists', 'refs/heads/d1'], { status: 0 }),
      same(dir, ['symbolic-ref', 'refs/heads/dangling'], { status: 0 }),
      same(dir, ['symbolic-ref', 'refs/heads/d1'], { status: 128, exactStderr: true }),
      same(dir, ['symbolic-ref', '--no-recurse', 'refs/heads/d1'], { status: 0 }),
      same(dir, ['symbolic-ref', 'refs/heads/d2'], { status: 0 }),
    ])
  })

  test('a symref loop is skipped by listings, as git does', async () => {
    const loop = copyOf('tiny')
    scratch.push(dirname(loop))
    git(loop, 'symbolic-ref', 'refs/heads/loop-a', 'refs/heads/loop-b')
    git(loop, 'symbolic-ref', 'refs/heads/loop-b', 'refs/heads/loop-a')
    await Promise.all([
      same(loop, ['symbolic-ref', 'refs/heads/loop-a'], { status: 128, exactStderr: true }),
      same(loop, ['symbolic-ref', '--no-recurse', 'refs/heads/loop-a'], { status: 0 }),
      same(loop, ['show-ref', '--exists', 'refs/heads/loop-a'], { status: 0 }),
    ])
    // repo.refs.listSync() throws ERR_SYMREF_CYCLE for the whole listing when one symref loops,
    // where git skips the broken ref: these two fail until the library does the same.
    await Promise.all([same(loop, ['show-ref'], { status: 0 }), same(loop, ['for-each-ref'], { status: 0 })])
  })

  test('a ref file git cannot parse, and a symref to it: read one link at a time, as git does', async () => {
    const bad = copyOf('tiny')
    scratch.push(dirname(bad))
    writeFileSync(join(bad, 'refs/heads/garbage'), 'not a ref\n')
    git(bad, 'symbolic-ref', 'refs/heads/to-garbage', 'refs/heads/garbage')
    const [link] = await Promise.all([
      same(bad, ['symbolic-ref', '--no-recurse', 'refs/heads/to-garbage'], { status: 0 }),
      // The file itself: git's files backend fails it with EINVAL.
      same(bad, ['show-ref', '--exists', 'refs/heads/garbage'], { status: 1, exactStderr: true }),
      same(bad, ['symbolic-ref', 'refs/heads/garbage'], { status: 128, exactStderr: true }),
      same(bad, ['symbolic-ref', '--no-recurse', 'refs/heads/garbage'], { status: 128, exactStderr: true }),
      same(bad, ['show-ref', '--verify', 'refs/heads/garbage'], { status: 128, exactStderr: true }),
      // A symref to it exists and has a target, but does not resolve.
      same(bad, ['show-ref', '--exists', 'refs/heads/to-garbage'], { status: 0 }),
      same(bad, ['symbolic-ref', 'refs/heads/to-garbage'], { status: 128, exactStderr: true }),
      same(bad, ['show-ref', '--verify', 'refs/heads/to-garbage'], { status: 128, exactStderr: true }),
    ])
    assert.equal(link.stdout.toString(), 'refs/heads/garbage\n')
  })
})
