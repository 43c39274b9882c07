// History and trees against git on make-repo small: log (each option, Promise
// and Sync) equals git rev-list; mergeBase equals git merge-base; readPath,
// listFiles and diffTrees equal git cat-file, ls-tree and diff-tree.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fg from '../index.js'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fixture, git } from './fixtures/repos.mjs'

const { Repository, GitError } = fg
const isCode = (code) => (e) => e instanceof GitError && e.code === code
const small = fixture('small')
const repo = Repository.openSync(small)
const lines = (buf) => {
  const s = buf.toString().replace(/\n$/, '')
  return s === '' ? [] : s.split('\n')
}
const revList = (...args) => lines(git(small, 'rev-list', ...args))

async function collect(it) {
  const out = []
  for await (const c of it) out.push(c.oid)
  return out
}
const collectSync = (it) => Array.from(it, (c) => c.oid)

// Topic branches and tags give merges, side lines and several starting points.
const topics = lines(git(small, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/topic/')).slice(0, 4)
const merges = revList('--merges', 'main')
const paths = lines(git(small, 'ls-tree', '--name-only', 'main'))
const annotated = lines(git(small, 'for-each-ref', '--format=%(objecttype) %(refname:short)', 'refs/tags/'))
  .find((l) => l.startsWith('tag '))
  .slice(4)

describe('log equals git rev-list', () => {
  const cases = [
    [{}, ['HEAD']],
    [{ from: 'main', limit: 10 }, ['-n', '10', 'main']],
    [{ from: 'main', limit: 0 }, ['-n', '0', 'main']],
    [{ from: 'main', order: 'topo' }, ['--topo-order', 'main']],
    [{ from: 'main', order: 'date' }, ['--date-order', 'main']],
    [{ from: 'main', firstParent: true }, ['--first-parent', 'main']],
    [{ from: 'main', firstParent: true, order: 'topo', limit: 50 }, ['--first-parent', '--topo-order', '-n', '50', 'main']],
    [{ from: [topics[0], topics[1]], hide: 'main~30' }, [topics[0], topics[1], '^main~30']],
    [{ from: 'main', hide: [merges[0], merges[3]] }, ['main', `^${merges[0]}`, `^${merges[3]}`]],
    [{ from: [merges[2]], hide: `${merges[2]}^2`, order: 'topo' }, ['--topo-order', merges[2], `^${merges[2]}^2`]],
    [{ from: 'main', paths: [paths[1]] }, ['main', '--', paths[1]]],
    [{ from: 'main', paths: [paths[2], paths[0]], limit: 20 }, ['-n', '20', 'main', '--', paths[2], paths[0]]],
    [{ from: 'main', paths: [`${paths[1]}/`], order: 'topo' }, ['--topo-order', 'main', '--', `${paths[1]}/`]],
    [{ from: 'main', paths: ['no/such/path'] }, ['main', '--', 'no/such/path']],
    [{ from: annotated }, [`${annotated}^{commit}`]],
  ]
  for (const [opts, args] of cases) {
    test(`log(${JSON.stringify(opts)}) = git rev-list ${args.join(' ')}`, async () => {
      const want = revList(...args)
      assert.deepEqual(await collect(repo.log(opts)), want)
      assert.deepEqual(collectSync(repo.logSync(opts)), want)
    })
  }

  test('log yields the identity-mapped Commit objects, with their fields', async () => {
    const it = repo.log({ from: 'main', limit: 3 })
    const first = (await it.next()).value
    assert.equal(first, repo.getCommitSync('main'))
    const want = lines(git(small, 'log', '-n', '3', '--format=%H%x00%an%x00%at%x00%s', 'main'))
    const got = [first, ...(await Promise.all([it.next(), it.next()])).map((r) => r.value)]
    assert.deepEqual(got.map((c) => [c.oid, c.author.name, String(c.author.seconds), c.summary].join('\0')), want)
    assert.deepEqual(await it.next(), { value: undefined, done: true })
  })

  test('bad revisions and options', async () => {
    await assert.rejects(collect(repo.log({ from: 'no-such-branch' })), isCode('ERR_INVALID_REVISION'))
    assert.throws(() => collectSync(repo.logSync({ from: 'no-such-branch' })), isCode('ERR_INVALID_REVISION'))
    const blob = git(small, 'rev-parse', 'main:README').toString().trim()
    assert.throws(() => collectSync(repo.logSync({ from: blob })), (e) => e instanceof GitError)
    assert.throws(() => repo.logSync({ order: 'sideways' }).next(), isCode('ERR_INVALID_REVISION'))
  })

  test('an AbortSignal stops the walk with ERR_ABORTED', async () => {
    const ac = new AbortController()
    let n = 0
    await assert.rejects(
      (async () => {
        for await (const c of repo.log({ from: 'main', signal: ac.signal })) {
          assert.ok(c.oid)
          if (++n === 100) ac.abort()
        }
      })(),
      isCode('ERR_ABORTED'),
    )
    assert.equal(n, 100)
    await assert.rejects(collect(repo.log({ signal: AbortSignal.abort() })), isCode('ERR_ABORTED'))
    assert.throws(() => collectSync(repo.logSync({ signal: AbortSignal.abort() })), isCode('ERR_ABORTED'))
  })

  test('breaking out of the loop ends the walk', async () => {
    let n = 0
    for await (const c of repo.log()) {
      assert.ok(c)
      if (++n === 5) break
    }
    assert.equal(n, 5)
  })
})

describe('mergeBase equals git merge-base', () => {
  const pairs = [
    ['main', topics[0]],
    [topics[0], topics[1]],
    [topics[2], 'main~40'],
    [`${merges[1]}^1`, `${merges[1]}^2`],
    ['main', 'main'],
    ['main~5', 'main'],
  ]
  for (const [a, b] of pairs) {
    test(`${a} ${b}`, async () => {
      const want = git(small, 'merge-base', a, b).toString().trim()
      assert.equal(repo.mergeBaseSync(a, b), want)
      assert.equal(await repo.mergeBase(b, a), git(small, 'merge-base', b, a).toString().trim())
    })
  }
  test('unrelated histories: null', () => {
    const orphan = git(small, 'commit-tree', '-m', 'orphan', 'main^{tree}').toString().trim()
    assert.equal(repo.mergeBaseSync('main', orphan), null)
  })
})

describe('readPath, listFiles, diffTrees', () => {
  test('readPath gives the blob or tree git shows', async () => {
    const files = lines(git(small, 'ls-tree', '-r', '--name-only', 'main~7')).filter((_, i) => i % 37 === 0)
    for (const p of files) {
      const blob = repo.readPathSync('main~7', p)
      assert.equal(blob.type, 'blob')
      assert.equal(blob.oid, git(small, 'rev-parse', `main~7:${p}`).toString().trim())
      assert.deepEqual(blob.content(), git(small, 'cat-file', 'blob', `main~7:${p}`))
      assert.equal(await repo.readPath('main~7', p), blob, 'one object per oid')
    }
    const tree = await repo.readPath('main', paths[1])
    assert.equal(tree.type, 'tree')
    assert.equal(tree.oid, git(small, 'rev-parse', `main:${paths[1]}`).toString().trim())
    assert.equal(repo.readPathSync('main', '').oid, git(small, 'rev-parse', 'main^{tree}').toString().trim())
    assert.throws(() => repo.readPathSync('main', 'no/such'), (e) => isCode('ERR_PATH_NOT_FOUND')(e) && e.path === 'no/such')
    await assert.rejects(repo.readPath('main', 'README/x'), isCode('ERR_PATH_NOT_FOUND'))
    await assert.rejects(repo.readPath('nope', 'README'), isCode('ERR_INVALID_REVISION'))
  })

  /** ls-tree's `<mode> <type> <oid>\t<path>` lines from entries. */
  const asLsTree = (entries) => entries.map((e) => `${e.mode.toString(8).padStart(6, '0')} ${e.type} ${e.oid}\t${e.path}`)

  test('listFiles equals git ls-tree [-r] [prefix]', async () => {
    for (const rev of ['main', 'main~100', topics[1]]) {
      assert.deepEqual(asLsTree(repo.listFilesSync(rev)), lines(git(small, 'ls-tree', '-r', rev)), rev)
      assert.deepEqual(asLsTree(await repo.listFiles(rev, { recursive: false })), lines(git(small, 'ls-tree', rev)), rev)
      for (const prefix of [paths[1], `${paths[1]}/`]) {
        assert.deepEqual(asLsTree(repo.listFilesSync(rev, { prefix })), lines(git(small, 'ls-tree', '-r', rev, prefix)), `${rev} -r ${prefix}`)
        assert.deepEqual(asLsTree(repo.listFilesSync(rev, { prefix, recursive: false })), lines(git(small, 'ls-tree', rev, prefix)), `${rev} ${prefix}`)
      }
    }
    const e = repo.listFilesSync('main', { prefix: paths[1] })[0]
    assert.equal(e.name, e.path.slice(e.path.lastIndexOf('/') + 1))
    assert.deepEqual(repo.listFilesSync('main', { prefix: 'no/such' }), [])
  })

  test('diffTrees equals git diff-tree [-r] --raw', async () => {
    const letter = { added: 'A', deleted: 'D', modified: 'M', typechange: 'T' }
    const zero = '0'.repeat(40)
    const asRaw = (changes) =>
      changes.map(
        (c) =>
          `:${(c.oldMode ?? 0).toString(8).padStart(6, '0')} ${(c.newMode ?? 0).toString(8).padStart(6, '0')} ${c.oldOid ?? zero} ${c.newOid ?? zero} ${letter[c.status]}\t${c.path}`,
      )
    const commits = revList('-n', '60', 'main')
    for (let i = 0; i + 1 < commits.length; i += 3) {
      const [b, a] = [commits[i], commits[i + 1]]
      assert.deepEqual(asRaw(repo.diffTreesSync(a, b)), lines(git(small, 'diff-tree', '-r', '--raw', a, b)), `${a}..${b}`)
    }
    assert.deepEqual(asRaw(await repo.diffTrees('main~50', 'main', { recursive: false })), lines(git(small, 'diff-tree', '--raw', 'main~50', 'main')))
    assert.deepEqual(asRaw(await repo.diffTrees(topics[0], topics[3])), lines(git(small, 'diff-tree', '-r', '--raw', topics[0], topics[3])))
    const empty = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
    assert.deepEqual(asRaw(repo.diffTreesSync(null, 'main~3')), lines(git(small, 'diff-tree', '-r', '--raw', empty, 'main~3')))
  })
})

describe('revParse equals git rev-parse --verify', () => {
  const merge = merges[0]
  const specs = [
    'HEAD', 'main', 'main~0', 'main~3', 'main^', 'main^^', 'main^0', `${merge}^2`, `${merge}^2~2`, `${merge}^1^2`,
    annotated, `${annotated}^{}`, `${annotated}^{commit}`, `${annotated}^{tree}`, `${annotated}^{tag}`, 'main^{tree}',
    `main:${paths[0]}`, `main~5:${paths[1]}`, `main:${paths[1]}/`, 'main:', topics[0], `${topics[0]}~2`,
    git(small, 'rev-parse', 'main~7').toString().slice(0, 7), git(small, 'rev-parse', 'main~7').toString().slice(0, 12).toUpperCase(),
    // Not single revisions, or not there: git --verify refuses each.
    'HEAD^@', 'HEAD^!', 'HEAD^-', 'HEAD^-1', 'main..HEAD', 'main~x', `${merge}^3`, 'no-such', 'main:no/such', 'main^{blob}', '',
  ]
  for (const spec of specs) {
    test(JSON.stringify(spec), async () => {
      const r = spawnSync('git', ['-C', small, 'rev-parse', '-q', '--verify', spec], { encoding: 'utf8' })
      if (r.status === 0) {
        const want = r.stdout.trim()
        assert.equal(repo.revParseSync(spec), want)
        assert.equal(await repo.revParse(spec), want)
      } else {
        assert.throws(() => repo.revParseSync(spec), (e) => e instanceof GitError && ['ERR_INVALID_REVISION', 'ERR_OBJECT_TYPE', 'ERR_INVALID_OID', 'ERR_AMBIGUOUS_OID'].includes(e.code), spec)
        await assert.rejects(repo.revParse(spec), (e) => e instanceof GitError, spec)
      }
    })
  }
})

test('a commit whose ident git cannot split reads as git log shows it (empty fields)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-ident-'))
  try {
    git(dir, 'init', '-q', 'r')
    const r = join(dir, 'r')
    const tree = git(r, 'mktree', { input: '' }).toString().trim()
    const raw = `tree ${tree}\nauthor Just A Name\ncommitter C <c@d> 1700000000 +0000\n\nmsg\n`
    const c = git(r, 'hash-object', '-t', 'commit', '-w', '--literally', '--stdin', { input: raw }).toString().trim()
    const want = git(r, 'log', '--format=%an|%ae|%at|%cn|%ce|%ct|%s', c).toString().trim()
    const got = [...Repository.openSync(r).logSync({ from: c })].map((x) =>
      [x.author.name, x.author.email, x.author.seconds || '', x.committer.name, x.committer.email, x.committer.seconds, x.summary].join('|'),
    )
    assert.deepEqual(got, [want])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('every field of log-walked commits equals git log (fields sent with the batch)', async () => {
  const want = lines(git(small, 'log', '-n', '300', '--format=%H|%T|%P|%an|%ae|%at|%cn|%ce|%ct|%s', 'main'))
  const row = (c) =>
    [c.oid, c.treeId, c.parentIds.join(' '), c.author.name, c.author.email, c.author.seconds, c.committer.name, c.committer.email, c.committer.seconds, c.summary].join('|')
  const fresh = Repository.openSync(small)
  const got = []
  for await (const c of fresh.log({ from: 'main', limit: 300 })) got.push(c)
  assert.deepEqual(got.map(row), want)
  // The same values as the commits' own (native) fields, offsets and dates included.
  const other = Repository.openSync(small)
  for (const c of got.slice(0, 50)) {
    const d = other.getCommitSync(c.oid)
    assert.deepEqual([c.author, c.committer, c.summary, c.oid], [d.author, d.committer, d.summary, d.oid])
  }
})

test('hand-made commits (astral and invalid UTF-8, NUL, folded headers, merges) read alike through log batches and single reads, as git stores them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-odd-'))
  try {
    git(dir, 'init', '-q', '--bare', 'r.git')
    const r = join(dir, 'r.git')
    const tree = git(r, 'mktree', { input: '' }).toString().trim()
    const write = (raw) => git(r, 'hash-object', '-t', 'commit', '-w', '--literally', '--stdin', { input: raw }).toString().trim()
    const who = (name, email, t, tz) => Buffer.concat([Buffer.from(name), Buffer.from(` <${email}> ${t} ${tz}`)])
    const commit = (parents, author, committer, extra, message) =>
      write(
        Buffer.concat([
          Buffer.from(`tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}author `),
          author,
          Buffer.from('\ncommitter '),
          committer,
          Buffer.from(`\n${extra}\n`),
          Buffer.from(message),
        ]),
      )
    const root = commit([], who('Zoë 🎉 Ünïcode', 'z@ë.example', 1700000000, '+0530'), who('C', 'c@x', 1700000001, '-0130'), '', 'Emoji 🎉 subject\n\nbody ✓ 𝄞\n')
    const bad = commit([root], who(Buffer.from([0x42, 0xff, 0xfe, 0x41]), 'b@x', 1700000100, '+0000'), who('C', 'c@x', 1700000101, '+0000'), '', Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xc3, 0x28, 0x0a]))
    const nul = commit([bad], who('N', 'n@x', 1700000200, '+0100'), who('C', 'c@x', 1700000201, '+0100'), '', 'nul\0inside\nsame paragraph\n\nmore\n')
    const side = commit([], who('S', 's@x', 1700000050, '+0000'), who('S', 's@x', 1700000051, '+0000'), '', 'side root\n')
    const headers = 'encoding ISO-8859-1\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\nx-extra value\n'
    const merge = commit([nul, side], who('M', 'm@x', 1700000300, '-0800'), who('M2', 'm2@x', 1700000301, '-0800'), headers, '')
    const tip = commit([merge], who('T', 't@x', 1700000400, '+1400'), who('T', 't@x', 1700000401, '+1400'), '', '  leading blank\n  lines joined  \nhere\n\nbody\n')

    const order = lines(git(r, 'rev-list', tip))
    const text = (b) => new TextDecoder().decode(b)
    const expected = (oid) => {
      const raw = git(r, 'cat-file', 'commit', oid)
      const f = git(r, 'log', '-1', '--date=raw', '--format=%T%x00%P%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd', oid)
      const [treeId, parents, an, ae, ad, cn, ce, cd] = f.toString('latin1').split('\0').map((s) => Buffer.from(s, 'latin1'))
      const sig = (name, email, date) => {
        const [secs, tz] = date.toString().split(' ')
        const m = (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3))) * (tz[0] === '-' ? -1 : 1)
        return { name: text(name), email: text(email), seconds: Number(secs), offset: m, date: new Date(Number(secs) * 1000) }
      }
      const at = raw.indexOf('\n\n')
      return {
        oid,
        treeId: treeId.toString(),
        parentIds: parents.toString() === '' ? [] : parents.toString().split(' '),
        author: sig(an, ae, ad),
        committer: sig(cn, ce, cd),
        message: text(raw.subarray(at + 2)),
        raw,
      }
    }
    const fields = (c) => ({ oid: c.oid, treeId: c.treeId, parentIds: c.parentIds, author: { ...c.author }, committer: { ...c.committer }, message: c.message, raw: c.raw() })
    const walked = [...Repository.openSync(r).logSync({ from: tip })]
    assert.deepEqual(walked.map((c) => c.oid), order)
    const single = Repository.openSync(r)
    for (const c of walked) {
      const want = expected(c.oid)
      assert.deepEqual(fields(c), want, c.oid)
      assert.deepEqual(fields(single.getCommitSync(c.oid)), want, `${c.oid} read alone`)
    }
    const byOid = new Map(walked.map((c) => [c.oid, c]))
    // Summaries as git log %s shows them (git's %s stops at a NUL: that one is checked by hand).
    for (const oid of [root, bad, merge, tip, side]) assert.equal(byOid.get(oid).summary, git(r, 'log', '-1', '--format=%s', oid).toString().replace(/\n$/, ''), oid)
    assert.equal(byOid.get(nul).summary, 'nul\0inside same paragraph')
    assert.equal(byOid.get(root).author.name, 'Zoë 🎉 Ünïcode')
    assert.equal(byOid.get(bad).author.name, 'B\ufffd\ufffdA')
    assert.equal(byOid.get(merge).encoding, 'ISO-8859-1')
    assert.equal(byOid.get(merge).gpgSignature, '-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----')
    for (const oid of [root, bad, nul, side, tip]) {
      assert.equal(byOid.get(oid).encoding, null)
      assert.equal(byOid.get(oid).gpgSignature, null)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// Without a commit-graph a long walk reads the pack's commits ahead on a
// helper thread ("ferrogit-readahead", shown as "ferrogit-readah" by Linux).
const readaheadThreads = () =>
  readdirSync('/proc/self/task').filter((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('ferrogit-readah')
    } catch {
      return false // the thread ended meanwhile
    }
  }).length

test('without a commit-graph, log reads ahead and equals git rev-list; leaving the loop early ends the helper thread', { skip: process.platform !== 'linux' && 'counts threads in /proc' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-nograph-'))
  try {
    const bare = join(dir, 'small.git')
    git(dir, 'clone', '-q', '--bare', '--no-local', small, bare)
    rmSync(join(bare, 'objects/info/commit-graph'), { force: true })
    rmSync(join(bare, 'objects/info/commit-graphs'), { recursive: true, force: true })
    const want = lines(git(bare, 'rev-list', '--all', '--date-order'))
    assert.ok(want.length > 1000, `${want.length} commits`)
    const r = Repository.openSync(bare)
    for (const opts of [{ from: 'main' }, { from: 'main', order: 'topo' }, { from: 'main', firstParent: true }]) {
      const args = [...(opts.order ? ['--topo-order'] : []), ...(opts.firstParent ? ['--first-parent'] : []), 'main']
      const expected = lines(git(bare, 'rev-list', ...args))
      assert.deepEqual(collectSync(r.logSync(opts)), expected, JSON.stringify(opts))
      assert.deepEqual(await collect(r.log(opts)), expected, JSON.stringify(opts))
    }
    const byOid = new Map(lines(git(bare, 'log', '--format=%H %T %P|%an %s', 'main')).map((l) => [l.slice(0, 40), l.slice(41).replace(' |', '|')]))
    let n = 0
    for (const c of r.logSync({ from: 'main' })) {
      assert.equal(`${[c.treeId, ...c.parentIds].join(' ')}|${c.author.name} ${c.summary}`, byOid.get(c.oid), c.oid)
      if (++n === 600) break
    }
    // Stopping a walk (what leaving the loop does) ends its helper at once,
    // not when the walk object is collected (it is still referenced here).
    const walk = r.__log({ from: 'main' })
    let got = walk.nextSync(64, 128).length
    while (got < 600) got += walk.nextSync(128, 128).length
    assert.equal(readaheadThreads(), 1, 'a helper reads ahead during the walk')
    walk.abort()
    const deadline = Date.now() + 5000
    while (readaheadThreads() > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10))
    assert.equal(readaheadThreads(), 0, 'the helper ended with the walk')
    assert.throws(() => {
      for (;;) if (walk.nextSync(128, 128).length === 0) break
    }, isCode('ERR_ABORTED'))
    // FERROGIT_THREADS=1 allows no thread beside the walk's: no helper then.
    const helpersWith = (threads) => {
      const script = `
        const { Repository } = require(${JSON.stringify(fileURLToPath(new URL('../index.js', import.meta.url)))})
        const fs = require('node:fs')
        const walk = Repository.openSync(${JSON.stringify(bare)}).__log({ from: 'main' })
        let got = walk.nextSync(64, 128).length
        while (got < 600) got += walk.nextSync(128, 128).length
        console.log(fs.readdirSync('/proc/self/task').filter((t) => { try { return fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').startsWith('ferrogit-readah') } catch { return false } }).length)
        walk.abort()`
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, FERROGIT_THREADS: String(threads) }, encoding: 'utf8' })
      assert.equal(r.status, 0, r.stderr)
      return Number(r.stdout.trim())
    }
    assert.equal(helpersWith(1), 0, 'FERROGIT_THREADS=1: no helper')
    assert.equal(helpersWith(2), 1, 'FERROGIT_THREADS=2: a helper')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
