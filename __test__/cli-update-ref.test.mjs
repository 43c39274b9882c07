// `ferrogit update-ref` (argument and --stdin forms) and `pack-refs`, run side by
// side with git on two identical repositories: same exit codes, same refs, same
// packed-refs bytes, same reflog messages, fsck clean.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { git, gitEnv, root } from './fixtures/repos.mjs'

const cli = join(root, 'bin/ferrogit.js')
const temps = []
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))

function pair() {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-ur-'))
  temps.push(dir)
  const a = join(dir, 'git')
  git(dir, 'init', '-q', '-b', 'main', 'git')
  for (let i = 0; i < 3; i++) git(a, 'commit', '-q', '--allow-empty', '-m', `c${i}`)
  git(a, 'tag', '-a', '-m', 'annotated', 'v1', 'HEAD~2')
  git(a, 'branch', 'side', 'HEAD~1')
  const b = join(dir, 'ours')
  cpSync(a, b, { recursive: true })
  const ids = git(a, 'rev-list', 'HEAD').toString().trim().split('\n').reverse()
  return { a, b, ids }
}

function run(which, repo, args, input) {
  const cmd = which === 'git' ? ['git', args] : [process.execPath, [cli, ...args]]
  const r = spawnSync(cmd[0], cmd[1], { cwd: repo, env: gitEnv, input: input ?? '' })
  return { status: r.status, stdout: r.stdout.toString() }
}

function state(repo) {
  const gd = join(repo, '.git')
  return {
    refs: git(repo, 'for-each-ref', '--format=%(objectname) %(refname)').toString(),
    packed: existsSync(join(gd, 'packed-refs')) ? readFileSync(join(gd, 'packed-refs'), 'utf8') : null,
    logs: ['refs/heads/main', 'refs/heads/side', 'HEAD'].map((n) => {
      try {
        return git(repo, 'reflog', 'show', '--format=%H %gs', n).toString()
      } catch {
        return null
      }
    }),
  }
}

test('update-ref and pack-refs do what git does', () => {
  const { a, b, ids } = pair()
  const [c0, c1, c2] = ids
  const steps = [
    [['update-ref', '-m', 'move main', 'refs/heads/main', c1]],
    [['update-ref', '-m', 'guarded', 'refs/heads/main', c2, c1]],
    [['update-ref', 'refs/heads/main', c0, c1]], // wrong old value: fails
    [['update-ref', '-m', 'new', 'refs/heads/new', c0, '']],
    [['update-ref', 'refs/heads/new', c1, '']], // must not exist: fails
    [['update-ref', '-d', 'refs/heads/new', c0]],
    [['update-ref', '-m', 'via HEAD', 'HEAD', c1]],
    [['update-ref', '--stdin', '-m', 'batch'], `update refs/heads/side ${c2} ${c1}\ncreate refs/heads/made ${c0}\nverify refs/heads/main ${c1}\n`],
    [['update-ref', '--stdin'], `update refs/heads/side ${c0} ${c0}\ncreate refs/heads/never ${c0}\n`], // fails: nothing applied
    [['update-ref', '--stdin'], `start\nupdate refs/heads/made ${c1}\nprepare\ncommit\nstart\ncreate refs/heads/aborted ${c0}\nabort\n`],
    [['pack-refs']],
    [['update-ref', '-d', 'refs/tags/v1']],
    [['pack-refs', '--all']],
    [['update-ref', '-d', 'refs/heads/made']],
  ]
  for (const [args, input] of steps) {
    const ra = run('git', a, args, input)
    const rb = run('ours', b, args, input)
    assert.equal(rb.status === 0, ra.status === 0, `${args.join(' ')}: exit ${rb.status} vs git ${ra.status}`)
    assert.equal(rb.stdout, ra.stdout, `${args.join(' ')}: stdout`)
    assert.deepEqual(state(b), state(a), `${args.join(' ')}: refs, packed-refs and reflogs`)
  }
  git(b, 'fsck', '--no-progress')
})
