// History and trees against git on make-repo medium (50,000 commits, 333
// merges, a commit-graph written by its git gc), walked with its commit-graph
// and on a hardlinked copy without it: log equals git rev-list, listFiles equals
// git ls-tree -r, diffTrees equals git diff-tree -r, mergeBase equals git
// merge-base, readPath equals git's blob ids.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fg from '../index.js'
import { fixture, git } from './fixtures/repos.mjs'

const { Repository } = fg
const medium = fixture('medium')
const lines = (buf) => {
  const s = buf.toString().replace(/\n$/, '')
  return s === '' ? [] : s.split('\n')
}

// The same repository without its commit-graph: a hardlinked copy (objects are shared, read-only).
const scratch = mkdtempSync(join(tmpdir(), 'ferrogit-medium-'))
after(() => rmSync(scratch, { recursive: true, force: true }))
const plain = join(scratch, 'medium')
execFileSync('cp', ['-al', medium, plain])
rmSync(join(plain, 'objects/info/commit-graph'), { force: true })
rmSync(join(plain, 'objects/info/commit-graphs'), { recursive: true, force: true })

test('the fixture has a commit-graph and the copy has none', () => {
  assert.ok(existsSync(join(medium, 'objects/info/commit-graph')))
  assert.ok(!existsSync(join(plain, 'objects/info/commit-graph')))
})

for (const [label, dir] of [['with its commit-graph', medium], ['without a commit-graph', plain]]) {
  describe(`log ${label} equals git rev-list`, () => {
    const repo = Repository.openSync(dir)
    const cases = [
      [{}, ['HEAD']],
      [{ order: 'topo', limit: 3000 }, ['--topo-order', '-n', '3000', 'HEAD']],
      [{ order: 'date', hide: 'HEAD~2000' }, ['--date-order', 'HEAD', '^HEAD~2000']],
      [{ firstParent: true }, ['--first-parent', 'HEAD']],
      [{ paths: ['docs'], limit: 300 }, ['-n', '300', 'HEAD', '--', 'docs']],
    ]
    for (const [opts, args] of cases) {
      test(`${JSON.stringify(opts)} = rev-list ${args.join(' ')}`, async () => {
        const want = lines(git(dir, 'rev-list', ...args))
        assert.ok(want.length > 0)
        const got = []
        for await (const c of repo.log(opts)) got.push(c.oid)
        assert.equal(got.length, want.length)
        assert.ok(got.every((o, i) => o === want[i]), 'same commits in the same order')
        if (opts.paths) return
        // Fields of a sample equal git log's.
        const selection = args.filter((a, i) => a !== '-n' && args[i - 1] !== '-n')
        const sample = lines(git(dir, 'log', '-n', '200', '--format=%H%x00%an%x00%at%x00%s', ...selection))
        const byOid = new Map()
        for (const c of repo.logSync({ ...opts, limit: 200 })) byOid.set(c.oid, [c.oid, c.author.name, String(c.author.seconds), c.summary].join('\0'))
        for (const l of sample) assert.equal(byOid.get(l.split('\0')[0]), l)
      })
    }
  })
}

describe('trees and merge bases on medium', () => {
  const repo = Repository.openSync(medium)
  const firstParents = lines(git(medium, 'rev-list', '--first-parent', '-n', '400', 'HEAD'))

  test('listFiles equals git ls-tree -r at several commits', () => {
    for (const rev of ['HEAD', firstParents[150], firstParents[399]]) {
      const want = lines(git(medium, 'ls-tree', '-r', rev))
      const got = repo.listFilesSync(rev).map((e) => `${e.mode.toString(8).padStart(6, '0')} ${e.type} ${e.oid}\t${e.path}`)
      assert.equal(got.length, want.length)
      assert.deepEqual(got, want)
    }
  })

  test('diffTrees equals git diff-tree -r along the first-parent line', () => {
    const letter = { added: 'A', deleted: 'D', modified: 'M', typechange: 'T' }
    const zero = '0'.repeat(40)
    for (let i = 0; i + 1 < firstParents.length; i += 20) {
      const [b, a] = [firstParents[i], firstParents[i + 1]]
      const got = repo.diffTreesSync(a, b).map(
        (c) => `:${(c.oldMode ?? 0).toString(8).padStart(6, '0')} ${(c.newMode ?? 0).toString(8).padStart(6, '0')} ${c.oldOid ?? zero} ${c.newOid ?? zero} ${letter[c.status]}\t${c.path}`,
      )
      assert.deepEqual(got, lines(git(medium, 'diff-tree', '-r', a, b)), `${a} ${b}`)
    }
  })

  test('readPath gives git blob ids', () => {
    const files = lines(git(medium, 'ls-tree', '-r', '--name-only', firstParents[300])).filter((_, i) => i % 97 === 0)
    for (const p of files) assert.equal(repo.readPathSync(firstParents[300], p).oid, git(medium, 'rev-parse', `${firstParents[300]}:${p}`).toString().trim())
  })

  test('mergeBase equals git merge-base', () => {
    const merges = lines(git(medium, 'rev-list', '--merges', '-n', '40', 'HEAD')).filter((_, i) => i % 8 === 0)
    for (const m of merges) {
      const [a, b] = [`${m}^1`, `${m}^2`]
      assert.equal(repo.mergeBaseSync(a, b), git(medium, 'merge-base', a, b).toString().trim(), m)
    }
    assert.equal(repo.mergeBaseSync('HEAD', 'HEAD~20000'), git(medium, 'merge-base', 'HEAD', 'HEAD~20000').toString().trim())
  })
})
