// The command line (bin/ferrogit.js): log, cat-file and rev-parse must print
// exactly what git prints, byte for byte, and exit as git does.
//
// Run: node --expose-gc --test __test__/cli.test.mjs

import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { fixture, run } from './fixtures/repos.mjs'

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'ferrogit.js')

const scratch = []
after(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true })
})

let neutralCwd
/** ferrogit's exit status, stdout and stderr (run from an empty temp dir unless `cwd` is given). */
const ferrogit = (args, cwd = neutralCwd) => run(process.execPath, [BIN, ...args], cwd)
const gitRun = (args, cwd = neutralCwd) => run('git', args, cwd)
const gitOut = async (args) => (await gitRun(args)).stdout.toString().trim()

/** Byte-exact comparison; `latin1` maps each byte to one char so the diff is readable and exact. */
function sameBytes(actual, expected, what) {
  assert.equal(actual.toString('latin1'), expected.toString('latin1'), what)
}

/** Both succeed and print the same bytes. */
async function assertSame(fgArgs, gitArgs, what = `ferrogit ${fgArgs.join(' ')}`) {
  const [g, f] = await Promise.all([gitRun(gitArgs), ferrogit(fgArgs)])
  assert.equal(g.status, 0, `git ${gitArgs.join(' ')} succeeds: ${g.stderr}`)
  assert.equal(f.status, 0, `${what} exits 0 (stderr: ${f.stderr})`)
  sameBytes(f.stdout, g.stdout, `${what} vs git ${gitArgs.join(' ')}`)
  return f
}

/** The same ferrogit and git arguments. */
const both = (args) => assertSame(args, args)

before(() => {
  neutralCwd = mkdtempSync(join(tmpdir(), 'ferrogit-cli-cwd-'))
  scratch.push(neutralCwd)
})

describe('log', () => {
  for (const profile of ['tiny', 'small', 'refdelta']) {
    test(`log -n N <${profile}> = git log --oneline -n N (N = 1, 10, 1000)`, async () => {
      const dir = fixture(profile)
      await Promise.all(
        [1, 10, 1000].map(async (n) => {
          const f = await assertSame(['log', '-n', String(n), dir], ['-C', dir, 'log', '--oneline', '-n', String(n)])
          const lines = f.stdout.toString().split('\n').filter(Boolean)
          assert.ok(lines.length >= Math.min(n, 5), `log -n ${n} ${profile} prints commits`)
        }),
      )
    })
  }

  test('-C <repo> log --oneline -n 5 <branch>', async () => {
    const cases = [
      ['tiny', 'feature'],
      ['small', 'topic/0001'],
      ['small', 'topic/0033'],
      ['refdelta', 'topic/0002'],
    ]
    await Promise.all(cases.map(([profile, branch]) => both(['-C', fixture(profile), 'log', '--oneline', '-n', '5', branch])))
  })

  test('-C <repo> log --oneline -n 5 <annotated tag> (peeled)', async () => {
    await both(['-C', fixture('tiny'), 'log', '--oneline', '-n', '5', 'v1.0-signed'])
  })
})

describe('cat-file', () => {
  let tiny, small
  before(() => {
    tiny = fixture('tiny')
    small = fixture('small')
  })

  test('-p of a commit, trees, blobs and annotated tags (tiny)', async () => {
    const revs = [
      'HEAD', // a merge commit
      'HEAD~2',
      'HEAD^{tree}',
      'v1.0:src', // a tree of trees
      'HEAD:README.md', // HEAD:path, a blob
      'v1.0:bin/run', // an executable blob
      'v1.0:link-to-readme', // a symlink's blob
      'v1.0:with space/été.txt',
      'v1.0', // an annotated tag
      'v1.0-signed', // a tag of a tag
    ]
    await Promise.all(revs.map((rev) => both(['-C', tiny, 'cat-file', '-p', rev])))
  })

  test('-p of a tree with a symlink and of a tree with a gitlink (tiny v1.0)', async () => {
    const [f, g] = await Promise.all([
      both(['-C', tiny, 'cat-file', '-p', 'v1.0^{tree}']),
      both(['-C', tiny, 'cat-file', '-p', 'v1.0:vendor']),
    ])
    assert.match(f.stdout.toString(), /^120000 blob [0-9a-f]{40}\tlink-to-readme$/m)
    assert.match(g.stdout.toString(), /^160000 commit [0-9a-f]{40}\tsub$/m)
  })

  test('-p of a commit, a tree, a blob and a tag (small)', async () => {
    await Promise.all(['HEAD~2', 'HEAD:docs', 'HEAD:README', 'v1.0'].map((rev) => both(['-C', small, 'cat-file', '-p', rev])))
  })

  test('-t and -s', async () => {
    const cases = [
      [tiny, 'HEAD'],
      [tiny, 'HEAD^{tree}'],
      [tiny, 'HEAD:README.md'],
      [tiny, 'v1.0'],
      [tiny, 'light'],
      [small, 'HEAD:README'],
    ]
    await Promise.all(cases.flatMap(([dir, rev]) => ['-t', '-s'].map((mode) => both(['-C', dir, 'cat-file', mode, rev]))))
  })

  test('-p by full and abbreviated oid', async () => {
    const [commit, tag] = await Promise.all([gitOut(['-C', tiny, 'rev-parse', 'HEAD']), gitOut(['-C', tiny, 'rev-parse', 'v1.0'])])
    await Promise.all([
      both(['-C', tiny, 'cat-file', '-p', commit.slice(0, 7)]),
      both(['-C', tiny, 'cat-file', '-p', tag]),
    ])
  })

  test('cat-file blob <oid>', async () => {
    const cases = [[tiny, 'v1.0:bin/run'], [tiny, 'v1.0:link-to-readme'], [small, 'HEAD:README']]
    await Promise.all(
      cases.map(async ([dir, rev]) => {
        const oid = await gitOut(['-C', dir, 'rev-parse', rev])
        assert.match(oid, /^[0-9a-f]{40}$/)
        await both(['-C', dir, 'cat-file', 'blob', oid])
      }),
    )
  })

  test('cat-file <type> <rev>: raw, peeled as git does', async () => {
    const cases = [['commit', 'v1.0'], ['tree', 'HEAD'], ['tag', 'v1.0'], ['blob', 'HEAD:README.md']]
    await Promise.all(cases.map(([type, rev]) => both(['-C', tiny, 'cat-file', type, rev])))
  })

  test('-e exits 0 for an existing object and prints nothing', async () => {
    const blob = await gitOut(['-C', tiny, 'rev-parse', 'HEAD:README.md'])
    await Promise.all(
      ['HEAD', 'v1.0', blob].map(async (spec) => {
        const [g, f] = await Promise.all([gitRun(['-C', tiny, 'cat-file', '-e', spec]), ferrogit(['-C', tiny, 'cat-file', '-e', spec])])
        assert.equal(g.status, 0)
        assert.equal(f.status, 0, `ferrogit cat-file -e ${spec}: ${f.stderr}`)
        assert.equal(f.stdout.length, 0)
      }),
    )
  })

  test('-e exits non-zero for a missing object and prints nothing on stdout', async () => {
    // The gitlink's target (never stored), an all-zero oid, an unknown name.
    const specs = ['1111111111111111111111111111111111111111', '0'.repeat(40), 'no-such-ref']
    await Promise.all(
      specs.map(async (spec) => {
        const [g, f] = await Promise.all([gitRun(['-C', tiny, 'cat-file', '-e', spec]), ferrogit(['-C', tiny, 'cat-file', '-e', spec])])
        assert.notEqual(g.status, 0, `git cat-file -e ${spec} fails`)
        assert.notEqual(f.status, 0, `ferrogit cat-file -e ${spec} fails`)
        assert.equal(f.stdout.length, 0)
      }),
    )
  })
})

describe('rev-parse', () => {
  test('-C <repo> rev-parse HEAD v1.0', async () => {
    await Promise.all(['tiny', 'small'].map((p) => both(['-C', fixture(p), 'rev-parse', 'HEAD', 'v1.0'])))
  })

  test('rev-parse of several forms at once', async () => {
    const specs = ['HEAD~2', 'HEAD^2', 'v1.0^{}', 'v1.0^{tree}', 'HEAD:README.md', 'light', 'feature']
    await both(['-C', fixture('tiny'), 'rev-parse', ...specs])
  })

  test('rev-parse discovers the repository from the working directory', async () => {
    const inside = join(fixture('tiny'), 'objects')
    const [g, f] = await Promise.all([gitRun(['rev-parse', 'HEAD'], inside), ferrogit(['rev-parse', 'HEAD'], inside)])
    assert.equal(g.status, 0)
    assert.equal(f.status, 0, String(f.stderr))
    sameBytes(f.stdout, g.stdout, 'rev-parse HEAD from inside objects/')
  })
})

describe('failures', () => {
  test('an unknown command exits non-zero with a message on stderr', async () => {
    const f = await ferrogit(['frobnicate'])
    assert.notEqual(f.status, 0)
    assert.ok(f.stderr.length > 0, 'something on stderr')
    assert.equal(f.stdout.length, 0)
  })

  test('a directory that is not a repository exits non-zero with a message on stderr', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'ferrogit-cli-plain-'))
    scratch.push(plain)
    mkdirSync(join(plain, 'sub'))
    assert.notEqual((await gitRun(['-C', plain, 'log', '--oneline'])).status, 0, 'git finds no repository either')
    const cases = [
      ['-C', plain, 'log', '--oneline', '-n', '5'],
      ['-C', join(plain, 'sub'), 'rev-parse', 'HEAD'],
      ['-C', plain, 'cat-file', '-p', 'HEAD'],
      ['log', '-n', '1', plain],
    ]
    await Promise.all(
      cases.map(async (args) => {
        const f = await ferrogit(args)
        assert.notEqual(f.status, 0, `ferrogit ${args.join(' ')} fails`)
        assert.ok(f.stderr.length > 0, `ferrogit ${args.join(' ')} explains on stderr`)
        assert.equal(f.stdout.length, 0)
      }),
    )
  })

  test('an unknown revision exits non-zero with a message on stderr, as git does', async () => {
    const dir = fixture('tiny')
    await Promise.all(
      [['cat-file', '-p', 'no-such-ref'], ['rev-parse', 'no-such-ref']].map(async (args) => {
        const [g, f] = await Promise.all([gitRun(['-C', dir, ...args]), ferrogit(['-C', dir, ...args])])
        assert.notEqual(g.status, 0)
        assert.notEqual(f.status, 0, `ferrogit ${args.join(' ')} fails`)
        assert.ok(f.stderr.length > 0)
      }),
    )
  })
})
