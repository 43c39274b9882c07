// Ref compare-and-swap across processes: several child processes of ours
// (Sync and Promise forms, single updates and two-ref transactions) and
// `git update-ref` loops race to increment shared counter refs. Each counter
// value k is a distinct commit C_k of a pre-built chain, so a lost update or
// a double apply shows as final k != the number of reported successes, and
// the reflog must be one unbroken C_0 -> C_1 -> ... -> C_k chain.
import { test, describe, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fg from '../index.js'
import { git, gitEnv } from './fixtures/repos.mjs'

const { Repository } = fg
const here = dirname(fileURLToPath(import.meta.url))
const childScript = join(here, 'fixtures/cas-child.mjs')
const temps = []
const live = new Set()
const killGroup = (child) => {
  try {
    process.kill(-child.pid, 'SIGKILL') // detached: the group is the child and its git processes
  } catch {}
}
after(() => {
  for (const c of live) killGroup(c)
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }))
})

const DURATION_MS = 3000
const MAX_ITER = 2500 // attempts per worker; with 5 workers the chain never runs out
const CHAIN = 5 * MAX_ITER + 2 // C_0 .. C_{CHAIN-1}
const CHILD_TIMEOUT_MS = 30_000
const now = () => performance.timeOrigin + performance.now()

/** Spawn `cmd` in its own process group; resolves when it exits, killed (group) after `timeoutMs`. */
function start(cmd, args, { timeoutMs = CHILD_TIMEOUT_MS, stdin = 'ignore' } = {}) {
  const child = spawn(cmd, args, { env: gitEnv, detached: true, stdio: [stdin, 'pipe', 'pipe'] })
  live.add(child)
  const out = []
  const err = []
  child.stdout.on('data', (d) => out.push(d))
  child.stderr.on('data', (d) => err.push(d))
  const timer = setTimeout(() => killGroup(child), timeoutMs)
  child.done = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      live.delete(child)
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() })
    })
  })
  return child
}

/** A repository with one commit C_0 and a linear chain C_1..C_{n-1} on top (same tree), via fast-import. */
function chainRepo(n) {
  const dir = mkdtempSync(join(tmpdir(), 'ferrogit-cas-'))
  temps.push(dir)
  git(dir, 'init', '-q', '-b', 'main', 'r')
  const r = join(dir, 'r')
  git(r, 'config', 'core.logAllRefUpdates', 'always')
  writeFileSync(join(r, 'f'), 'counter\n')
  git(r, 'add', 'f')
  git(r, 'commit', '-q', '-m', 'C_0')
  const c0 = git(r, 'rev-parse', 'HEAD').toString().trim()
  let stream = ''
  for (let k = 1; k < n; k++) {
    const msg = `C_${k}\n`
    stream += `commit refs/chain/tip\nmark :${k}\ncommitter Chain <chain@example.com> ${1700000000 + k} +0000\ndata ${msg.length}\n${msg}`
    if (k === 1) stream += `from ${c0}\n`
    stream += '\n'
  }
  const marks = join(dir, 'marks')
  git(r, 'fast-import', '--quiet', `--export-marks=${marks}`, { input: stream })
  const chain = [c0]
  for (const line of readFileSync(marks, 'utf8').trim().split('\n')) {
    const [mark, oid] = line.split(' ')
    chain[Number(mark.slice(1))] = oid
  }
  assert.equal(chain.length, n)
  assert.equal(new Set(chain).size, n)
  const chainFile = join(dir, 'chain.txt')
  writeFileSync(chainFile, chain.join('\n') + '\n')
  return { dir, r, gitDir: join(r, '.git'), chain, chainFile, index: new Map(chain.map((oid, k) => [oid, k])) }
}

function findLocks(dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.name.endsWith('.lock')) out.push(join(e.path ?? e.parentPath, e.name))
  }
  return out.sort()
}

// git's own CAS loop: rev-parse the counter, `update-ref <ref> C_{k+1} C_k`.
// Exit 0 counts a success; a failure must be one of git's lock/CAS messages.
const GIT_LOOP = `
set -u
repo=$1 chainFile=$2 startAt=$3 durationMs=$4 maxIter=$5 RANDOM=$6
mapfile -t C < "$chainFile"
declare -A idx
for i in "\${!C[@]}"; do idx[\${C[$i]}]=$i; done
n=\${#C[@]}
cd "$repo" || exit 2
ms() { local t=\${EPOCHREALTIME/./}; echo $((t / 1000)); }
d=$((startAt - $(ms)))
if ((d > 0)); then sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"; fi
deadline=$((startAt + durationMs))
okA=0 okB=0 failA=0 failB=0 conflict=0 locked=0 attempts=0 unexpected=0 stopped=false
while (($(ms) < deadline && attempts < maxIter)); do
  attempts=$((attempts + 1))
  if ((RANDOM % 2)); then c=a; else c=b; fi
  if ! cur=$(git rev-parse --verify -q refs/counters/$c); then
    echo "unexpected: rev-parse refs/counters/$c failed" >&2; unexpected=$((unexpected + 1)); continue
  fi
  k=\${idx[$cur]:-}
  if [ -z "$k" ]; then echo "unexpected: refs/counters/$c holds $cur, not a chain commit" >&2; unexpected=$((unexpected + 1)); continue; fi
  next=$((k + 1))
  if ((next >= n)); then stopped=true; break; fi
  if out=$(git update-ref -m "git $$ $c:$k->$next" refs/counters/$c "\${C[$next]}" "$cur" 2>&1); then
    if [ $c = a ]; then okA=$((okA + 1)); else okB=$((okB + 1)); fi
  else
    if [ $c = a ]; then failA=$((failA + 1)); else failB=$((failB + 1)); fi
    case "$out" in
      *"but expected"*) conflict=$((conflict + 1)) ;;
      *".lock': File exists"*) locked=$((locked + 1)) ;;
      *) echo "unexpected: update-ref $c $k->$next: $out" >&2; unexpected=$((unexpected + 1)) ;;
    esac
  fi
done
printf '{"pid":%d,"style":"git","ok":{"a":%d,"b":%d},"failed":{"a":%d,"b":%d},"attempts":%d,"failCodes":{"conflict":%d,"locked":%d},"unexpectedCount":%d,"unexpected":[],"stoppedAtChainEnd":%s}\\n' \\
  $$ $okA $okB $failA $failB $attempts $conflict $locked $unexpected $stopped
`

/** Parse a raw reflog file into [{old, new, msg}]. */
function rawReflog(path) {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [head, msg] = line.split('\t')
    const [oldOid, newOid] = head.split(' ')
    return { old: oldOid, new: newOid, msg, line }
  })
}

describe('ref compare-and-swap across processes', () => {
  test('our children (Sync, Promise, transactions) and git update-ref loops increment counters: no lost or double updates', { timeout: 60_000 }, async (t) => {
    const { r, gitDir, chain, chainFile, index } = chainRepo(CHAIN)
    git(r, 'update-ref', '-m', 'init', 'refs/counters/a', chain[0])
    git(r, 'update-ref', '-m', 'init', 'refs/counters/b', chain[0])

    const startAt = Math.round(now() + 1000) // every worker starts at once, after node + addon load
    const ours = [
      ['sync', 11], ['async', 22], ['sync', 33],
    ].map(([style, seed]) => start(process.execPath, [childScript, 'counter', r, chainFile, style, String(startAt), String(DURATION_MS), String(MAX_ITER), String(seed)]))
    const gits = [44, 55].map((seed) => start('bash', ['-c', GIT_LOOP, 'git-loop', r, chainFile, String(startAt), String(DURATION_MS), String(MAX_ITER), String(seed)]))
    const results = await Promise.all([...ours, ...gits].map((c) => c.done))

    const reports = results.map((res, i) => {
      const who = i < ours.length ? `our child ${i}` : `git loop ${i - ours.length}`
      assert.equal(res.code, 0, `${who} exited ${res.code} (${res.signal}); stderr:\n${res.stderr}`)
      let rep
      try {
        rep = JSON.parse(res.stdout.trim().split('\n').pop())
      } catch {
        assert.fail(`${who} printed no report; stdout:\n${res.stdout}\nstderr:\n${res.stderr}`)
      }
      rep.who = who
      rep.stderr = res.stderr
      return rep
    })
    for (const rep of reports) t.diagnostic(`${rep.who} (${rep.style}): ok a=${rep.ok.a} b=${rep.ok.b}, failed a=${rep.failed.a} b=${rep.failed.b}, attempts=${rep.attempts}, ${JSON.stringify(rep.failCodes)}${rep.txOk !== undefined ? `, tx ok=${rep.txOk} failed=${rep.txFailed}` : ''}`)

    const total = { a: 0, b: 0 }
    const final = {}
    for (const c of ['a', 'b']) {
      total[c] = reports.reduce((s, rep) => s + rep.ok[c], 0)
      const oid = git(r, 'rev-parse', `refs/counters/${c}`).toString().trim()
      final[c] = index.get(oid)
      t.diagnostic(`counter ${c}: final C_${final[c]} (${oid}), successes reported ${total[c]}`)
    }
    const corrupt = findLocks(gitDir)
    // Report everything before asserting anything, so a failure says what happened.
    for (const rep of reports) {
      assert.deepEqual(rep.unexpected, [], `${rep.who}: unexpected errors`)
      assert.equal(rep.unexpectedCount ?? 0, 0, `${rep.who}: unexpected errors:\n${rep.stderr}`)
      assert.equal(rep.stoppedAtChainEnd, false, `${rep.who} ran to the end of the chain`)
    }
    assert.deepEqual(final, total, 'each counter equals the number of reported successes')
    assert.deepEqual(corrupt, [], 'no lock files remain')

    // Both kinds of writer got through; our transactions did too.
    const ourOk = reports.slice(0, ours.length).reduce((s, rep) => s + rep.ok.a + rep.ok.b, 0)
    const gitOk = reports.slice(ours.length).reduce((s, rep) => s + rep.ok.a + rep.ok.b, 0)
    assert.ok(ourOk > 0 && gitOk > 0, `successes: ours ${ourOk}, git ${gitOk}`)
    assert.ok(reports.slice(0, ours.length).some((rep) => rep.txOk > 0), 'some two-counter transactions succeeded')
    // What we read is what git reads.
    const repo = Repository.openSync(r)
    for (const c of ['a', 'b']) {
      assert.equal(repo.refs.resolveSync(`refs/counters/${c}`).oid, chain[final[c]])
      assert.equal(readFileSync(join(gitDir, `refs/counters/${c}`), 'utf8'), `${chain[final[c]]}\n`, 'loose ref file is `<oid>\\n`')
    }

    // The reflog is one unbroken chain: init, then C_k -> C_{k+1} for every success, nothing else.
    for (const c of ['a', 'b']) {
      const entries = rawReflog(join(gitDir, `logs/refs/counters/${c}`))
      assert.equal(entries.length, total[c] + 1, `reflog of ${c}: init + one entry per success`)
      assert.deepEqual([entries[0].old, entries[0].new, entries[0].msg], ['0'.repeat(40), chain[0], 'init'])
      for (let k = 1; k < entries.length; k++) {
        const e = entries[k]
        assert.equal(e.old, chain[k - 1], `reflog ${c} entry ${k} old: ${e.line}`)
        assert.equal(e.new, chain[k], `reflog ${c} entry ${k} new: ${e.line}`)
        assert.match(e.msg, new RegExp(`^(cas \\d+ .*\\b${c}:${k - 1}->${k}\\b.*|git \\d+ ${c}:${k - 1}->${k})$`), `reflog ${c} entry ${k} message`)
      }
      // git reads every entry of ours (and its own).
      const shown = git(r, 'reflog', 'show', '--format=%H %gs', `refs/counters/${c}`).toString().trim().split('\n')
      const ourOkC = reports.slice(0, ours.length).reduce((s, rep) => s + rep.ok[c], 0)
      assert.equal(shown.length, total[c] + 1)
      assert.ok(shown.filter((l) => / cas \d+ /.test(l)).length >= ourOkC)
      assert.equal(shown.filter((l) => / cas \d+ /.test(l)).length, ourOkC, `git shows exactly our ${ourOkC} entries for ${c}`)
    }
    git(r, 'fsck', '--no-progress') // throws on a non-zero exit
  })

  test('two of our processes race to create the same new ref, 50 rounds: exactly one wins each round', { timeout: 60_000 }, async (t) => {
    const { r, gitDir, chain } = chainRepo(3)
    const racers = [['sync', chain[1]], ['async', chain[2]]].map(([style, oid]) => {
      const child = start(process.execPath, [childScript, 'create', r, oid, style], { stdin: 'pipe' })
      child.oid = oid
      // Line reader: next() resolves with the child's next stdout line.
      let buf = ''
      const lines = []
      const waiters = []
      child.stdout.on('data', (d) => {
        buf += d
        let nl
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          if (waiters.length) waiters.shift()(line)
          else lines.push(line)
        }
      })
      child.done.then(() => waiters.splice(0).forEach((w) => w(null)))
      child.next = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((res) => waiters.push(res)))
      return child
    })
    for (const c of racers) assert.equal(await c.next(), 'ready')
    const seen = { won: [0, 0], ERR_REF_EXISTS: 0, ERR_REF_LOCKED: 0 }
    for (let round = 0; round < 50; round++) {
      const at = now() + 25
      for (const c of racers) c.stdin.write(`${round} ${at}\n`)
      const res = await Promise.all(racers.map(async (c) => JSON.parse(await c.next())))
      for (const x of res) assert.equal(x.round, round)
      const winners = res.map((x, i) => (x.won ? i : -1)).filter((i) => i >= 0)
      assert.equal(winners.length, 1, `round ${round}: exactly one winner: ${JSON.stringify(res)}`)
      const loser = res[1 - winners[0]]
      assert.ok(['ERR_REF_EXISTS', 'ERR_REF_LOCKED'].includes(loser.code), `round ${round}: loser got ${loser.code}: ${loser.message}`)
      seen.won[winners[0]]++
      seen[loser.code]++
      const name = `refs/race/r${round}`
      assert.equal(git(r, 'rev-parse', name).toString().trim(), racers[winners[0]].oid, `${name} holds the winner's value`)
      const log = git(r, 'reflog', 'show', '--format=%H %gs', name).toString().trim().split('\n')
      assert.deepEqual(log, [`${racers[winners[0]].oid} race ${racers[winners[0]].pid}`], `${name}: one reflog entry, the winner's`)
    }
    t.diagnostic(`wins sync=${seen.won[0]} async=${seen.won[1]}; loser saw ERR_REF_EXISTS ${seen.ERR_REF_EXISTS}x, ERR_REF_LOCKED ${seen.ERR_REF_LOCKED}x`)
    for (const c of racers) c.stdin.end()
    for (const res of await Promise.all(racers.map((c) => c.done))) assert.equal(res.code, 0, res.stderr)
    assert.deepEqual(findLocks(gitDir), [])
    git(r, 'fsck', '--no-progress')
  })
})
