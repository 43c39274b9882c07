// `ferrogit update-ref` (argument and --stdin forms, --no-deref, prepared
// transactions) and `pack-refs`, run side by side with git on two identical
// repositories: same exit codes, same output, same refs, same packed-refs
// bytes, same reflogs, no lock left behind, fsck clean.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { git, gitEnv, root, reflogFiles } from './fixtures/repos.mjs'

const cli = join(root, 'bin/ferrogit.js')
const temps = []
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))

/**
 * Two identical repositories (`a` for git, `b` for ferrogit): main at c2, side at c1, an
 * annotated tag v1 on c0; `symrefs` ([name, target]) are made in both.
 */
function pair(symrefs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-ur-'))
  temps.push(dir)
  const a = join(dir, 'git')
  git(dir, 'init', '-q', '-b', 'main', 'git')
  for (let i = 0; i < 3; i++) git(a, 'commit', '-q', '--allow-empty', '-m', `c${i}`)
  git(a, 'tag', '-a', '-m', 'annotated', 'v1', 'HEAD~2')
  git(a, 'branch', 'side', 'HEAD~1')
  for (const [name, target] of symrefs) git(a, 'symbolic-ref', name, target)
  const b = join(dir, 'ours')
  cpSync(a, b, { recursive: true })
  const ids = git(a, 'rev-list', 'HEAD').toString().trim().split('\n').reverse()
  return { a, b, ids }
}

const command = (which, args) => (which === 'git' ? ['git', args] : [process.execPath, [cli, ...args]])

function run(which, repo, args, input) {
  const [cmd, argv] = command(which, args)
  const r = spawnSync(cmd, argv, { cwd: repo, env: gitEnv, input: input ?? '' })
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() }
}

/**
 * Every reflog file under .git/logs, by path: its lines (identity and date are fixed by gitEnv),
 * less one git quirk: `verify` of the branch HEAD names appends `<old> 0000... <who>` (no
 * message) to HEAD's reflog, an entry `git reflog` does not show.
 */
function reflogs(gd) {
  const out = {}
  for (const [p, text] of Object.entries(reflogFiles(gd))) out[p] = text.split('\n').filter((l) => !/^[0-9a-f]{40} 0{40} [^\t]*$/.test(l))
  return out
}

/** Lock files anywhere in the git dir. */
function locks(gd) {
  return readdirSync(gd, { recursive: true }).filter((p) => p.endsWith('.lock')).sort()
}

function state(repo) {
  const gd = join(repo, '.git')
  return {
    refs: git(repo, 'for-each-ref', '--format=%(objectname) %(refname) %(symref)').toString(),
    head: readFileSync(join(gd, 'HEAD'), 'utf8'),
    packed: existsSync(join(gd, 'packed-refs')) ? readFileSync(join(gd, 'packed-refs'), 'utf8') : null,
    logs: reflogs(gd),
    locks: locks(gd),
  }
}

/**
 * Run each step ([args, input?]) with git in `a` and ferrogit in `b`: the same exit status and
 * stdout, stderr from both or neither (`exactStderr`: the same bytes), the same state after.
 */
function sameSteps(a, b, steps, { exactStderr = false } = {}) {
  for (const [args, input] of steps) {
    const what = `${args.join(' ')}${input ? ` <<< ${JSON.stringify(input)}` : ''}`
    const ra = run('git', a, args, input)
    const rb = run('ours', b, args, input)
    // Messages naming a file (a lock) name it in each one's repository.
    ra.stderr = ra.stderr.replaceAll(a, '<repo>')
    rb.stderr = rb.stderr.replaceAll(b, '<repo>')
    assert.equal(rb.status, ra.status, `${what}: exit ${rb.status} vs git ${ra.status}; stderr ${rb.stderr}`)
    assert.equal(rb.stdout, ra.stdout, `${what}: stdout`)
    if (exactStderr) assert.equal(rb.stderr, ra.stderr, `${what}: stderr`)
    else assert.equal(rb.stderr !== '', ra.stderr !== '', `${what}: stderr ${JSON.stringify(rb.stderr)} vs git's ${JSON.stringify(ra.stderr)}`)
    assert.deepEqual(state(b), state(a), `${what}: refs, packed-refs, reflogs and locks`)
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
  sameSteps(a, b, steps)
  git(b, 'fsck', '--no-progress')
})

test('update-ref: failures in git words and exit codes (update 128, -d 1)', () => {
  const { a, b, ids } = pair()
  const [c0, c1] = ids
  sameSteps(
    a,
    b,
    [
      [['update-ref', 'refs/heads/main', c0, c1]], // is at c2 but expected c1
      [['update-ref', 'refs/heads/main', c0, '']], // reference already exists
      [['update-ref', 'refs/heads/nope', c0, c1]], // unable to resolve reference
      [['update-ref', '-d', 'refs/heads/main', c0]],
      [['update-ref', '-d', 'refs/heads/nope', c0]],
      [['update-ref', 'refs/heads/main/sub', c0]], // 'refs/heads/main' exists; cannot create
      [['update-ref', 'refs/heads/a..b', c0]], // refusing to update ref with bad name
      [['update-ref', 'refs/heads/x', 'no-such-rev']], // not a valid SHA1
      [['update-ref', 'refs/heads/x', c0, 'no-such-rev']], // not a valid old SHA1
      [['update-ref', '-m', '', 'refs/heads/x', c0]], // empty message
      [['update-ref', 'refs/heads/x', '1234567890123456789012345678901234567890']], // nonexistent object
      [['update-ref', '-d', 'refs/heads/nope']], // nothing to delete: fine
      [['update-ref', '-d', 'refs/heads/side', '0'.repeat(40)]], // all zeros: no check
    ],
    { exactStderr: true },
  )
  sameSteps(a, b, [
    [['update-ref', 'refs/heads/x']], // usage: 129
    [['update-ref', '-z', 'refs/heads/x', c0]],
    [['update-ref', '--stdin', 'refs/heads/x']],
    [['update-ref', '--bogus']],
  ])
})

test('update-ref --no-deref: the argument form, -d, --stdin and `option no-deref` write a symbolic ref itself', () => {
  const symrefs = [
    ['refs/heads/sym', 'refs/heads/main'],
    ['refs/heads/chain', 'refs/heads/sym'],
    ['refs/heads/dangling', 'refs/heads/nowhere'],
    ['refs/heads/s1', 'refs/heads/side'],
    ['refs/heads/s2', 'refs/heads/side'],
    ['refs/heads/s3', 'refs/heads/side'],
    ['refs/heads/s4', 'refs/heads/main'],
  ]
  const { a, b, ids } = pair(symrefs)
  const [c0, c1, c2] = ids
  sameSteps(
    a,
    b,
    [
      // The argument form.
      [['update-ref', '--no-deref', '-m', 'detach', 'HEAD', c1]], // HEAD detached, main untouched
      [['update-ref', '-m', 'through the chain', 'refs/heads/chain', c0]], // chain -> sym -> main moves main
      [['update-ref', '--no-deref', 'refs/heads/sym', c2, c1]], // the old value is what sym resolves to (c0): fails
      [['update-ref', '--no-deref', '-m', 'own value', 'refs/heads/sym', c2, c0]], // sym becomes a direct ref
      [['update-ref', '--no-deref', '-d', 'refs/heads/chain']],
      [['update-ref', '--no-deref', '-d', 'refs/heads/dangling']],
      [['update-ref', '--no-deref', '-d', 'refs/heads/s4', c1]], // s4 resolves to c0: fails
      // --stdin --no-deref: every command.
      [['update-ref', '--stdin', '--no-deref', '-m', 'all of them'], `update refs/heads/s1 ${c1}\ndelete refs/heads/s2\n`],
      // `option no-deref`: the next command only (s3 itself; then main through s4).
      [['update-ref', '--stdin', '-m', 'next only'], `option no-deref\nupdate refs/heads/s3 ${c0}\nupdate refs/heads/s4 ${c1}\n`],
      // An option before `start` still applies to the next command naming a ref.
      [['update-ref', '--stdin'], `option no-deref\nstart\nupdate HEAD ${c2}\nprepare\ncommit\n`],
      [['update-ref', '--stdin'], `option bogus\n`],
      [['update-ref', '--stdin'], `option no-deref extra\n`],
    ],
    { exactStderr: true },
  )
  assert.equal(git(b, 'symbolic-ref', '-q', 'refs/heads/s4').toString(), 'refs/heads/main\n', 's4 is still symbolic')
  git(b, 'fsck', '--no-progress')
})

test('update-ref --stdin: a failing prepare fails as git does, and changes and holds nothing', () => {
  const { a, b, ids } = pair([['refs/heads/sym', 'refs/heads/main']])
  const [c0, c1, c2] = ids
  const prepared = (...edits) => `start\n${edits.join('\n')}\nprepare\ncommit\n`
  // Someone else's lock on side (git waits core.filesRefLockTimeout, then gives up).
  for (const repo of [a, b]) writeFileSync(join(repo, '.git/refs/heads/side.lock'), '')
  sameSteps(
    a,
    b,
    [
      [['update-ref', '--stdin'], prepared(`update refs/heads/main ${c0} ${c1}`, `create refs/heads/new ${c0}`)],
      [['update-ref', '--stdin'], prepared(`create refs/heads/new ${c0}`, `create refs/heads/main ${c0}`)],
      [['update-ref', '--stdin'], prepared(`verify refs/heads/nope ${c0}`)],
      [['update-ref', '--stdin'], prepared(`update refs/heads/main ${c0}`, `update refs/heads/main ${c1}`)],
      [['update-ref', '--stdin'], prepared(`update refs/heads/main/sub ${c0}`)],
      [['update-ref', '--stdin'], prepared(`update refs/heads/new ${c0}`, `update refs/heads/side ${c0}`)],
      [['update-ref', '--stdin'], `update refs/heads/main ${c0} ${c1}\n`], // no start: at the end of input
      [['update-ref', '--stdin'], `start\nupdate refs/heads/main ${c0} ${c1}\ncommit\n`], // commit without prepare
    ],
    { exactStderr: true },
  )
  for (const repo of [a, b]) rmSync(join(repo, '.git/refs/heads/side.lock'))
  assert.equal(git(b, 'rev-parse', 'main').toString().trim(), c2)
  assert.deepEqual(locks(join(b, '.git')), [])
})

test('update-ref --stdin: commands and state errors as git reports them', () => {
  const { a, b, ids } = pair()
  const [c0, c1] = ids
  sameSteps(
    a,
    b,
    [
      [['update-ref', '--stdin'], `start\nupdate refs/heads/main ${c0}\nprepare\nupdate refs/heads/side ${c0}\n`],
      [['update-ref', '--stdin'], 'start\nstart\n'],
      [['update-ref', '--stdin'], `commit\nupdate refs/heads/main ${c0}\n`],
      [['update-ref', '--stdin'], `update refs/heads/main ${c1}\nprepare\nabort\nstart\ncreate refs/heads/t ${c0}\ncommit\n`],
      [['update-ref', '--stdin'], `create refs/heads/kept ${c0}\nstart\nupdate refs/heads/side ${c0}\ncommit\n`], // start keeps earlier edits
      [['update-ref', '--stdin'], `start\ncreate refs/heads/left-open ${c0}\nprepare\n`], // aborted at the end of input
      [['update-ref', '--stdin'], 'frobnicate refs/heads/main\n'],
      [['update-ref', '--stdin'], '\n'],
      [['update-ref', '--stdin'], ' update refs/heads/main\n'],
      [['update-ref', '--stdin'], 'commit'], // no newline: not a command
      [['update-ref', '--stdin'], `update refs/heads/a..b ${c0}\n`],
      [['update-ref', '--stdin'], 'update refs/heads/x no-such-rev\n'],
      [['update-ref', '--stdin'], 'update refs/heads/x\n'],
      [['update-ref', '--stdin'], 'update \n'],
      [['update-ref', '--stdin'], `update refs/heads/x ${c0} ${c0} extra\n`],
      [['update-ref', '--stdin'], `update refs/heads/x ${c0}`], // no newline: end of input
      [['update-ref', '--stdin'], `update "refs/heads/q\\165oted" ${c0}\n`],
      [['update-ref', '--stdin'], `update "refs/heads/q ${c0}\n`],
      [['update-ref', '--stdin'], `create refs/heads/z ${'0'.repeat(40)}\n`],
      [['update-ref', '--stdin'], `delete refs/heads/side ${'0'.repeat(40)}\n`],
      [['update-ref', '--stdin'], `verify refs/heads/nope\nverify refs/heads/main ${c0}\n`],
      [['update-ref', '-z', '--stdin'], `update refs/heads/main\0${c1}\0\0delete refs/heads/side\0\0`],
      [['update-ref', '-z', '--stdin'], `update refs/heads/main\0${c0}\0`], // -z: <old-oid> is required
      [['update-ref', '-z', '--stdin'], `start\0verify refs/heads/main\0${c0}\0prepare\0commit\0`],
    ],
    { exactStderr: true },
  )
  git(b, 'fsck', '--no-progress')
})

/**
 * `<which> update-ref --stdin ...args` with its stdin a pipe the test writes to. `answer(text)`
 * resolves true once stdout holds `text`, false if the process ends or 20 s pass first (a
 * command that reads all its input before answering never does); `stop()` kills it if alive.
 */
function piped(which, repo, args) {
  const [cmd, argv] = command(which, ['update-ref', '--stdin', ...args])
  const child = spawn(cmd, argv, { cwd: repo, env: gitEnv, stdio: ['pipe', 'pipe', 'pipe'] })
  const p = { child, stdout: '', stderr: '' }
  child.stderr.on('data', (d) => (p.stderr += d))
  child.stdout.on('data', (d) => (p.stdout += d))
  p.closed = new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal })))
  p.answer = (text) =>
    new Promise((resolve) => {
      const done = (v) => {
        clearInterval(poll)
        clearTimeout(timer)
        resolve(v)
      }
      const poll = setInterval(() => p.stdout.includes(text) && done(true), 10)
      const timer = setTimeout(() => done(false), 20_000)
      p.closed.then(() => done(p.stdout.includes(text)))
    })
  p.stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  return p
}

/**
 * Feed `start`, `update <ref> <oid>`, `prepare` to `<which> update-ref --stdin` through a pipe
 * and, once it answers `prepare: ok` (its stdin still open), look: is `<ref>.lock` there, does
 * `git update-ref <ref>` fail? Then send `finish` (commit or abort), close stdin, and look again.
 */
async function whilePrepared(which, repo, ref, oid, finish) {
  const gd = join(repo, '.git')
  const p = piped(which, repo, ['-m', 'prepared'])
  try {
    p.child.stdin.write(`start\nupdate ${ref} ${oid}\nprepare\n`)
    assert.equal(await p.answer('prepare: ok\n'), true, `${which}: prepare: ok (stdout ${JSON.stringify(p.stdout)}, stderr ${p.stderr})`)
    const during = {
      stdout: p.stdout,
      lock: existsSync(join(gd, `${ref}.lock`)),
      other: spawnSync('git', ['update-ref', ref, 'HEAD'], { cwd: repo, env: gitEnv }).status,
    }
    p.child.stdin.end(`${finish}\n`)
    const { status, signal } = await p.closed
    return {
      during,
      status,
      signal,
      stdout: p.stdout,
      stderr: p.stderr,
      lockAfter: existsSync(join(gd, `${ref}.lock`)),
      value: git(repo, 'rev-parse', ref).toString().trim(),
      locks: locks(gd),
    }
  } finally {
    p.stop()
  }
}

for (const finish of ['commit', 'abort']) {
  test(`update-ref --stdin: prepare holds the locks until ${finish}, as git does`, async () => {
    const { a, b, ids } = pair()
    const [c0, , c2] = ids
    const ref = 'refs/heads/main'
    const theirs = await whilePrepared('git', a, ref, c0, finish)
    const ours = await whilePrepared('ours', b, ref, c0, finish)
    assert.deepEqual(ours, theirs)
    assert.deepEqual(ours.during, { stdout: 'start: ok\nprepare: ok\n', lock: true, other: 128 })
    assert.equal(ours.stdout, `start: ok\nprepare: ok\n${finish}: ok\n`)
    assert.equal(ours.status, 0)
    assert.equal(ours.lockAfter, false)
    assert.equal(ours.value, finish === 'commit' ? c0 : c2)
    assert.deepEqual(state(b), state(a))
  })
}

test('update-ref --stdin: killed while prepared, the locks go with it (as git removes its lockfiles)', async () => {
  const { b, ids } = pair()
  const gd = join(b, '.git')
  const p = piped('ours', b, [])
  try {
    p.child.stdin.write(`start\nupdate refs/heads/main ${ids[0]}\nupdate refs/heads/side ${ids[0]}\nprepare\n`)
    assert.equal(await p.answer('prepare: ok\n'), true, `prepare: ok (stdout ${JSON.stringify(p.stdout)}, stderr ${p.stderr})`)
    assert.deepEqual(locks(gd), ['refs/heads/main.lock', 'refs/heads/side.lock'])
    p.child.kill('SIGTERM')
    assert.deepEqual(await p.closed, { status: null, signal: 'SIGTERM' })
    assert.deepEqual(locks(gd), [])
    assert.equal(git(b, 'rev-parse', 'main').toString().trim(), ids[2])
  } finally {
    p.stop()
  }
})
