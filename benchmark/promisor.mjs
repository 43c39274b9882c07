#!/usr/bin/env node
// Promisor benchmark (issue 5): clones of `make-repo medium` from servers on
// 127.0.0.1, and lazy reads in partial clones, side by side with git.
//
//   node benchmark/promisor.mjs [--reps N] [--reads N] [--iso-timeout S] [--out FILE]
//
// 1. `clone --filter=blob:none` from a local `git daemon`: ferrogit's CLI
//    against `git clone --filter=blob:none` (with a work tree, and bare),
//    alternating, N repetitions, medians.
// 2. A full clone over smart HTTP (git http-backend behind a Node http server):
//    ferrogit, git and isomorphic-git (which has no partial clone), one run
//    each for isomorphic-git (bounded by --iso-timeout seconds).
// 3. 1,000 lazy blob reads: blobs missing from a `git clone --bare
//    --filter=blob:none` (two identical clones), read one at a time by
//    ferrogit (getBlobSync; each read is one fetch) and by git (`git cat-file
//    -p <oid>`, git's own lazy fetch, one process per blob, as a script would).
//
// Writes the "Partial clones" section of BENCHMARKS.md (between the
// promisor-suite markers), keeping the rest of the file.
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..')
const argv = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : dflt
}
const REPS = Number(opt('--reps', '3'))
const READS = Number(opt('--reads', '1000'))
const ISO_TIMEOUT = Number(opt('--iso-timeout', '900'))
const OUT = resolve(opt('--out', join(ROOT, 'BENCHMARKS.md')))
const CACHE = process.env.FERROGIT_BENCH_CACHE || join(os.tmpdir(), 'ferrogit-bench')
const COMMAND = `node benchmark/promisor.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`
const CLI = join(ROOT, 'bin', 'ferrogit.js')
const log = (...a) => console.error('[promisor]', ...a)

const env = { ...process.env }
for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k]
const sh = (cmd, args, o = {}) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, env, ...o })

function fixture(profile) {
  const dest = join(CACHE, profile)
  if (existsSync(dest)) return dest
  const tmp = `${dest}.building`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(CACHE, { recursive: true })
  log(`building ${profile} with make-repo (a few minutes) ...`)
  execFileSync(resolve(ROOT, '../shared/tools/make-repo'), [profile, tmp], { stdio: ['ignore', 'inherit', 'inherit'] })
  renameSync(tmp, dest)
  return dest
}

/** Run a process to completion; resolves to wall milliseconds (rejects on failure or timeout). */
function timed(cmd, args, { cwd = ROOT, timeoutMs = 0 } = {}) {
  return new Promise((res, rej) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : null
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer)
      const ms = performance.now() - t0
      if (code === 0) res(ms)
      else rej(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${signal ?? code} ${err.slice(-500)}`), { ms, timedOut: signal === 'SIGKILL' }))
    })
  })
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmt = (ms) => (ms >= 100 ? Math.round(ms).toLocaleString('en-US') : ms.toFixed(1))

async function main() {
  const medium = fixture('medium')
  const base = dirname(medium)
  const work = join(CACHE, 'work-promisor')
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  // The servers allow filters and any wanted id (what a lazy fetch asks for),
  // as hosting services do; they take their environment when imported.
  process.env.GIT_CONFIG_PARAMETERS = "'uploadpack.allowfilter=true' 'uploadpack.allowanysha1inwant=true'"
  const { gitDaemon, httpBackend } = await import('../__test__/fixtures/servers.mjs')
  const daemon = await gitDaemon(base)
  const http = await httpBackend(base)
  const url = daemon.url('medium')
  const httpUrl = http.url('medium')
  const objects = Number(sh('git', ['-C', medium, 'count-objects', '-v']).match(/in-pack: (\d+)/)[1])
  const started = new Date()
  const t0 = performance.now()
  const results = { partial: { git: [], ours: [] }, bare: { git: [], ours: [] }, http: { git: [], ours: [], iso: null } }
  try {
    // 1. partial clones from git daemon, alternating who goes first.
    for (let rep = 0; rep < REPS; rep++) {
      for (const kind of ['partial', 'bare']) {
        const extra = kind === 'bare' ? ['--bare'] : []
        const runs = [
          ['git', () => timed('git', ['clone', '-q', '--filter=blob:none', ...extra, url, join(work, `g-${kind}-${rep}`)])],
          ['ours', () => timed(process.execPath, [CLI, 'clone', '-q', '--filter=blob:none', ...extra, url, join(work, `o-${kind}-${rep}`)])],
        ]
        if (rep % 2) runs.reverse()
        for (const [who, run] of runs) {
          const ms = await run()
          results[kind][who].push(ms)
          log(`${kind} clone, ${who}: ${fmt(ms)} ms`)
        }
      }
      // Check once that the two clones hold the same objects and refs.
      if (rep === 0) {
        for (const kind of ['partial', 'bare']) {
          const list = (d) => sh('git', ['-C', d, 'rev-list', '--objects', '--all', '--missing=print']).split('\n').sort().join('\n')
          const [g, o] = [join(work, `g-${kind}-0`), join(work, `o-${kind}-0`)]
          if (list(g) !== list(o)) throw new Error(`${kind}: our clone's objects differ from git's`)
          if (sh('git', ['-C', g, 'for-each-ref']) !== sh('git', ['-C', o, 'for-each-ref'])) throw new Error(`${kind}: refs differ`)
          if (kind === 'partial' && sh('git', ['-C', o, 'status', '--porcelain']) !== '') throw new Error('our work tree is not clean')
        }
      }
      for (const kind of ['partial', 'bare']) for (const who of ['g', 'o']) if (rep > 0) rmSync(join(work, `${who}-${kind}-${rep}`), { recursive: true, force: true })
    }

    // 2. full clones over smart HTTP, with isomorphic-git.
    for (let rep = 0; rep < REPS; rep++) {
      const runs = [
        ['git', () => timed('git', ['clone', '-q', '--bare', httpUrl, join(work, `hg-${rep}`)])],
        ['ours', () => timed(process.execPath, [CLI, 'clone', '-q', '--bare', httpUrl, join(work, `ho-${rep}`)])],
      ]
      if (rep % 2) runs.reverse()
      for (const [who, run] of runs) {
        const ms = await run()
        results.http[who].push(ms)
        log(`http full bare clone, ${who}: ${fmt(ms)} ms`)
      }
      rmSync(join(work, `hg-${rep}`), { recursive: true, force: true })
      rmSync(join(work, `ho-${rep}`), { recursive: true, force: true })
    }
    try {
      const isoScript = `const git=require('isomorphic-git');const http=require('isomorphic-git/http/node');const fs=require('fs');` +
        `git.clone({fs,http,dir:process.argv[1],gitdir:process.argv[1],url:process.argv[2],noCheckout:true}).catch(e=>{console.error(e);process.exit(1)})`
      const ms = await timed(process.execPath, ['-e', isoScript, join(work, 'iso'), httpUrl], { timeoutMs: ISO_TIMEOUT * 1000 })
      results.http.iso = { ms }
      log(`isomorphic-git full clone (no checkout): ${fmt(ms)} ms`)
    } catch (e) {
      results.http.iso = { ms: e.ms, failed: e.timedOut ? `timed out after ${ISO_TIMEOUT} s` : e.message.slice(0, 200) }
      log(`isomorphic-git: ${results.http.iso.failed}`)
    }
    rmSync(join(work, 'iso'), { recursive: true, force: true })

    // 3. lazy reads.
    const forGit = join(work, 'lazy-git.git')
    const forUs = join(work, 'lazy-ours.git')
    sh('git', ['clone', '-q', '--bare', '--filter=blob:none', url, forGit])
    sh('git', ['clone', '-q', '--bare', '--filter=blob:none', url, forUs])
    const missing = sh('git', ['-C', forGit, 'rev-list', '--objects', '--all', '--missing=print']).split('\n').filter((l) => l.startsWith('?')).map((l) => l.slice(1))
    let seed = 42
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    const pick = []
    const seen = new Set()
    while (pick.length < Math.min(READS, missing.length)) {
      const o = missing[Math.floor(rand() * missing.length)]
      if (!seen.has(o)) seen.add(o), pick.push(o)
    }
    // Ours: one process, each blob read Sync (one lazy fetch each), timed inside.
    const oursScript = `const {Repository}=require(${JSON.stringify(ROOT)});const crypto=require('crypto');` +
      `const r=Repository.openSync(process.argv[1]);const ids=require('fs').readFileSync(0,'utf8').trim().split('\\n');` +
      `const h=crypto.createHash('sha1');const t=performance.now();for(const id of ids)h.update(r.getBlobSync(id).content());` +
      `const ms=performance.now()-t;console.log(JSON.stringify({ms,digest:h.digest('hex'),fetches:r.stats().promisorFetches}))`
    const ours = JSON.parse(execFileSync(process.execPath, ['-e', oursScript, forUs], { input: pick.join('\n'), env, encoding: 'utf8', maxBuffer: 1 << 30 }))
    log(`lazy reads, ours: ${fmt(ours.ms)} ms for ${pick.length} (${ours.fetches} fetches)`)
    // git: `git cat-file -p <oid>` per blob, as a script would.
    const h = createHash('sha1')
    const tg = performance.now()
    for (const id of pick) h.update(execFileSync('git', ['-C', forGit, 'cat-file', '-p', id], { env, maxBuffer: 1 << 30 }))
    const gitMs = performance.now() - tg
    log(`lazy reads, git: ${fmt(gitMs)} ms`)
    if (h.digest('hex') !== ours.digest) throw new Error('lazy reads: our blobs differ from git\'s')
    results.lazy = { n: pick.length, ours: ours.ms, git: gitMs, fetches: ours.fetches }
    sh('git', ['-C', forUs, 'fsck', '--no-progress', '--connectivity-only'])
  } finally {
    await daemon.close()
    await http.close()
  }
  const totalMin = (performance.now() - t0) / 60000
  write(results, started, totalMin, objects)
  rmSync(work, { recursive: true, force: true })
}

function write(r, started, totalMin, objects) {
  const L = []
  const row = (what, g, o) => `| ${what} | ${fmt(median(g))} | ${fmt(median(o))} | ${(median(o) / median(g)).toFixed(2)} |`
  L.push('<!-- promisor-suite:start -->')
  L.push('## Partial clones')
  L.push('')
  L.push(`Generated by \`${COMMAND}\` on ${started.toISOString()} (took ${totalMin.toFixed(1)} min; medians of ${REPS}, run alternately). ` +
    `\`make-repo medium\` (${objects.toLocaleString('en-US')} objects) served on 127.0.0.1 by \`git daemon\` and by \`git http-backend\` behind a Node http server; ` +
    `${os.cpus().length} cores, ${os.loadavg()[0].toFixed(1)} load at the end, git ${sh('git', ['--version']).trim().replace(/^git version /, '')}. ` +
    'Each clone is one process: `ferrogit clone` (the CLI, Node start-up included) or `git clone`.')
  L.push('')
  L.push('| clone of medium | git clone (ms) | ferrogit (ms) | ferrogit / git |')
  L.push('| --- | ---: | ---: | ---: |')
  L.push(row('`--filter=blob:none` from git daemon, with a work tree (checkout fetches HEAD\'s blobs)', r.partial.git, r.partial.ours))
  L.push(row('`--filter=blob:none --bare` from git daemon', r.bare.git, r.bare.ours))
  L.push(row('full `--bare` over smart HTTP', r.http.git, r.http.ours))
  L.push('')
  const iso = r.http.iso
  L.push(`isomorphic-git (no partial clone support), full clone over the same HTTP server with \`noCheckout\`: ` +
    (iso?.failed ? `${iso.failed} (${fmt(iso.ms)} ms)` : `${fmt(iso.ms)} ms, ${(iso.ms / median(r.http.ours)).toFixed(1)}× ferrogit's full clone`) + '.')
  L.push('')
  const per = (ms) => (ms / r.lazy.n).toFixed(1)
  L.push(`Lazy reads: ${r.lazy.n} blobs missing from a \`--filter=blob:none\` bare clone (made by git), read one at a time; ` +
    'ferrogit: `getBlobSync` in one process (one fetch per blob, no haves, each stored as a promisor pack); ' +
    'git: `git cat-file -p <oid>` per blob (its own lazy fetch). Contents compared (SHA-1 over all).')
  L.push('')
  L.push('| lazy reads | total (ms) | per blob (ms) | git / ferrogit |')
  L.push('| --- | ---: | ---: | ---: |')
  L.push(`| git cat-file -p (lazy fetch) | ${fmt(r.lazy.git)} | ${per(r.lazy.git)} | |`)
  L.push(`| ferrogit getBlobSync (${r.lazy.fetches} fetches) | ${fmt(r.lazy.ours)} | ${per(r.lazy.ours)} | ${(r.lazy.git / r.lazy.ours).toFixed(1)} |`)
  L.push('')
  const cloneRatio = median(r.partial.ours) / median(r.partial.git)
  const bareRatio = median(r.bare.ours) / median(r.bare.git)
  const lazyRatio = r.lazy.git / r.lazy.ours
  L.push(`Targets (issue 5): clone within 1.2× of \`git clone\` — ${cloneRatio.toFixed(2)} with a work tree, ${bareRatio.toFixed(2)} bare: ` +
    `${cloneRatio <= 1.2 && bareRatio <= 1.2 ? 'met' : 'not met'}; lazy reads at least 5× faster per blob than git's lazy fetch — ${lazyRatio.toFixed(1)}×: ${lazyRatio >= 5 ? 'met' : 'not met'}.`)
  L.push('<!-- promisor-suite:end -->')
  const block = L.join('\n') + '\n'
  const text = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '# Benchmarks\n'
  const a = text.indexOf('<!-- promisor-suite:start -->')
  const b = text.indexOf('<!-- promisor-suite:end -->')
  const next = a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + '<!-- promisor-suite:end -->'.length + 1) : `${text.trimEnd()}\n\n${block}`
  writeFileSync(OUT, next)
  console.log(block)
}

await main()
