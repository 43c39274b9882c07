#!/usr/bin/env node
// ferrogit benchmark: ferrogit vs git's own commands, es-git (libgit2) and isomorphic-git.
// Three suites: objects (read every object / concurrent reads, vs `git cat-file`),
// refs (list / resolve / update on `make-repo refs`, vs for-each-ref, cat-file
// --batch-check, rev-parse and update-ref) and history (walk, listFiles and
// readPath on `make-repo medium`, vs git log / rev-list, ls-tree -r and cat-file
// --batch; the walk with and without a commit-graph).
//
//   node benchmark/run.mjs            all suites; objects on small, medium and this
//                                     project's .git; 3 repetitions; writes BENCHMARKS.md
//   node benchmark/run.mjs --suite refs      only the refs suite: replaces the "Refs"
//                                     section of the output file, keeps the rest
//   node benchmark/run.mjs --suite history   only the history suite: replaces the
//                                     "History" section of the output file, keeps the rest
//   node benchmark/run.mjs --suite objects   only the objects suite (keeps existing
//                                     "Refs" and "History" sections)
//   node benchmark/run.mjs --quick    objects on small and this project's .git, refs
//                                     without isomorphic-git's listing, history on small;
//                                     1 repetition; writes <cache>/BENCHMARKS-quick.md
//                                     (BENCHMARKS.md untouched)
//   options: --reps N   --out FILE   --repos self,small,medium   --suite objects|refs|history|all
//            --history-repo small|medium (make-repo profile for the history suite)
//
// Fixtures are built with make-repo (../shared/tools/make-repo relative to the
// project root, else $FERROGIT_MAKE_REPO) into $FERROGIT_BENCH_CACHE or
// <os.tmpdir()>/ferrogit-bench/<profile>, and reused when present.
//
// Every measurement runs in its own process (benchmark/child.mjs for the Node
// contenders, git itself for git), one at a time, so peak RSS is per contender.
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..')
const CHILD = join(HERE, 'child.mjs')

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2)
const opt = (name) => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}
const QUICK = argv.includes('--quick')
const REPS = Number(opt('--reps') ?? (QUICK ? 1 : 3))
const CACHE = process.env.FERROGIT_BENCH_CACHE || join(os.tmpdir(), 'ferrogit-bench')
const OUT = resolve(opt('--out') ?? (QUICK ? join(CACHE, 'BENCHMARKS-quick.md') : join(ROOT, 'BENCHMARKS.md')))
const REPOS = (opt('--repos') ?? (QUICK ? 'self,small' : 'self,small,medium')).split(',')
const SUITE = opt('--suite') ?? 'all'
if (!['all', 'objects', 'refs', 'history'].includes(SUITE)) throw new Error(`--suite must be objects, refs, history or all, not ${SUITE}`)
const COMMAND = ['node', relative(ROOT, process.argv[1]) || 'benchmark/run.mjs', ...argv].join(' ')

const CONCURRENT = 1000 // (b): number of concurrent blob reads
const SEED_CONCURRENT = 0xf3770
const SEED_ISO_SAMPLE = 0x150617
const ISO_BUDGET_MS = 180_000 // above this (estimated), isomorphic-git reads a sample
const ISO_CALIBRATE = 500 // objects read to estimate isomorphic-git's full-run time
const ISO_SAMPLE = 5000 // fixed sample size when extrapolating
const CHILD_TIMEOUT_MS = 30 * 60_000
const TIME_BIN = existsSync('/usr/bin/time') ? '/usr/bin/time' : null

const log = (...a) => console.error('[bench]', ...a)

// ---------------------------------------------------------------- helpers
function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** k items of `arr` chosen with a seeded partial Fisher-Yates shuffle: distinct while k <= arr.length, then repeats. */
function seededPick(arr, k, seed) {
  const rnd = mulberry32(seed)
  const a = arr.slice()
  const out = []
  const distinct = Math.min(k, a.length)
  for (let i = 0; i < distinct; i++) {
    const j = i + Math.floor(rnd() * (a.length - i))
    ;[a[i], a[j]] = [a[j], a[i]]
    out.push(a[i])
  }
  while (out.length < k && a.length > 0) out.push(a[Math.floor(rnd() * a.length)])
  return out
}

const median = (xs) => {
  const s = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return null
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmtMs = (x) => (x == null ? '—' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1))
const fmtRatio = (x) => (x == null || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const fmtMiB = (kib) => (kib == null ? '—' : (kib / 1024).toFixed(1))
const fmtInt = (n) => n.toLocaleString('en-US')

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts }).trim()
}

function gitEnv() {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k]
  return env
}

// ---------------------------------------------------------------- fixtures
function findMakeRepo() {
  const rel = resolve(ROOT, '../shared/tools/make-repo')
  if (existsSync(rel)) return rel
  const env = process.env.FERROGIT_MAKE_REPO
  if (env && existsSync(env)) return resolve(env)
  throw new Error(`make-repo not found at ${rel} and FERROGIT_MAKE_REPO is ${env ? `${env} (missing)` : 'unset'}`)
}

function fixture(profile) {
  const dest = join(CACHE, profile)
  if (existsSync(dest)) {
    log(`reusing ${profile} fixture at ${dest}`)
    return { path: dest, built: false, buildMs: null }
  }
  const makeRepo = findMakeRepo()
  const tmp = `${dest}.building`
  rmSync(tmp, { recursive: true, force: true })
  log(`building ${profile} fixture with ${makeRepo} (medium takes a few minutes) ...`)
  const t0 = performance.now()
  execFileSync(makeRepo, [profile, tmp], { stdio: ['ignore', 'inherit', 'inherit'] })
  renameSync(tmp, dest) // only a complete build ever appears under `dest`
  const buildMs = performance.now() - t0
  log(`built ${profile} in ${(buildMs / 1000).toFixed(1)} s`)
  return { path: dest, built: true, buildMs }
}

function selfRepo() {
  const gitDir = sh('git', ['-C', ROOT, 'rev-parse', '--path-format=absolute', '--git-common-dir'], { env: gitEnv() })
  return { path: gitDir, built: false, buildMs: null }
}

// ---------------------------------------------------------------- processes
function runProcess(cmd, args, { stdin = 'ignore', stdout = 'pipe', collectStdout = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now()
    const child = spawn(cmd, args, { stdio: [stdin, stdout, 'pipe'], env: cmd === process.execPath ? process.env : gitEnv() })
    let bytes = 0
    let out = ''
    let err = ''
    child.stdout?.on('data', (c) => {
      bytes += c.length
      if (collectStdout) out += c
    })
    child.stderr.on('data', (c) => {
      err += c
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - t0
      clearTimeout(timer)
      const reported = collectStdout && /(^|\n)RESULT /.test(out)
      if (code !== 0 && !reported) {
        reject(new Error(`${cmd} ${args.join(' ').slice(0, 200)} exited ${code ?? signal}: ${err.trim().slice(-2000)}`))
        return
      }
      resolvePromise({ wallMs, bytes, out, err, code, signal })
    })
  })
}

/**
 * git, timed from spawn to exit; peak RSS via /usr/bin/time (which adds one exec).
 * Default: stdout on /dev/null, i.e. `git ... > /dev/null`. piped: stdout piped into
 * this process, counted and discarded.
 */
async function runGit(repo, gitArgs, { stdinFile = null, piped = false } = {}) {
  const rssFile = join(CACHE, 'work', 'git-rss.txt')
  rmSync(rssFile, { force: true })
  const full = ['--git-dir=' + repo, ...gitArgs]
  const [cmd, args] = TIME_BIN ? [TIME_BIN, ['-f', '%M', '-o', rssFile, 'git', ...full]] : ['git', full]
  const inFd = stdinFile ? openSync(stdinFile, 'r') : null
  const outFd = piped ? null : openSync('/dev/null', 'w')
  try {
    const r = await runProcess(cmd, args, { stdin: inFd ?? 'ignore', stdout: outFd ?? 'pipe' })
    let maxRssKiB = null
    if (TIME_BIN && existsSync(rssFile)) {
      const m = readFileSync(rssFile, 'utf8').trim().split('\n').pop()
      maxRssKiB = Number(m) || null
    }
    return { ms: r.wallMs, wallMs: r.wallMs, bytes: piped ? r.bytes : null, maxRssKiB }
  } finally {
    if (inFd !== null) closeSync(inFd)
    if (outFd !== null) closeSync(outFd)
  }
}

async function runChild(spec) {
  const r = await runProcess(process.execPath, [CHILD, JSON.stringify(spec)], { collectStdout: true })
  const line = r.out.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`no RESULT from child ${spec.contender}: ${r.out.slice(-500)} ${r.err.slice(-500)}`)
  if (r.err.trim()) log(`${spec.contender} stderr: ${r.err.trim().slice(-500)}`)
  const crash = r.code !== 0 ? `exited ${r.code ?? r.signal} after reporting its result` : null
  if (crash) log(`${spec.contender}: ${crash}`)
  return { ...JSON.parse(line.slice(7)), wallMs: r.wallMs, crash }
}

// ---------------------------------------------------------------- per repository
async function benchRepo(name, fx) {
  const repo = fx.path
  const work = join(CACHE, 'work')
  mkdirSync(work, { recursive: true })

  // 1. the object list, as git sees it
  const listing = sh('git', ['--git-dir=' + repo, 'cat-file', '--batch-all-objects',
    '--batch-check=%(objectname) %(objecttype) %(objectsize)'], { env: gitEnv() })
  const objects = listing.split('\n').filter(Boolean).map((l) => {
    const [oid, type, size] = l.split(' ')
    return { oid, type, size: Number(size) }
  })
  const oids = objects.map((o) => o.oid)
  const byType = { commit: 0, tree: 0, blob: 0, tag: 0 }
  const bytesByType = { commit: 0, tree: 0, blob: 0, tag: 0 }
  let expectedBatchBytes = 0
  for (const o of objects) {
    byType[o.type]++
    bytesByType[o.type] += o.size
    expectedBatchBytes += `${o.oid} ${o.type} ${o.size}\n`.length + o.size + 1
  }
  const contentBytes = Object.values(bytesByType).reduce((a, b) => a + b, 0)
  const blobs = objects.filter((o) => o.type === 'blob').map((o) => o.oid)
  const allFile = join(work, `${name}.all.oids`)
  writeFileSync(allFile, oids.join('\n') + '\n')
  const conc = seededPick(blobs, CONCURRENT, SEED_CONCURRENT)
  const concFile = join(work, `${name}.concurrent.oids`)
  writeFileSync(concFile, conc.join('\n') + '\n')
  const concDistinct = new Set(conc).size
  const sizeOf = new Map(objects.map((o) => [o.oid, o.size]))
  const concBytes = conc.reduce((a, oid) => a + sizeOf.get(oid), 0)
  log(`${name}: ${fmtInt(oids.length)} objects (${JSON.stringify(byType)}), ${(contentBytes / 2 ** 20).toFixed(1)} MiB of content`)

  // 2. isomorphic-git: full run, or a fixed seeded sample when a full run would take > ~3 min
  const iso = { mode: 'full', file: allFile, n: oids.length, estimateMs: null }
  if (oids.length > ISO_CALIBRATE) {
    const cal = seededPick(oids, ISO_CALIBRATE, SEED_ISO_SAMPLE)
    const calFile = join(work, `${name}.iso-calibrate.oids`)
    writeFileSync(calFile, cal.join('\n') + '\n')
    const r = await runChild({ contender: 'isomorphic-git', task: 'all', repo, oidsFile: calFile })
    const per = (r.ms - r.firstMs) / (cal.length - 1)
    iso.estimateMs = r.firstMs + per * (oids.length - 1)
    log(`isomorphic-git calibration on ${cal.length} objects: ${fmtMs(per)} ms/object, full run estimated ${fmtMs(iso.estimateMs)} ms`)
    if (iso.estimateMs > ISO_BUDGET_MS) {
      const sample = seededPick(oids, Math.min(ISO_SAMPLE, oids.length), SEED_ISO_SAMPLE)
      iso.mode = 'sample'
      iso.n = sample.length
      iso.file = join(work, `${name}.iso-sample.oids`)
      writeFileSync(iso.file, sample.join('\n') + '\n')
    }
  }

  // 3. the measurements, one process at a time, round-robin over repetitions
  const A = [
    { id: 'git', label: 'git cat-file --batch-all-objects --batch > /dev/null', run: () => runGit(repo, ['cat-file', '--batch-all-objects', '--batch']) },
    { id: 'git-piped', label: 'git cat-file --batch-all-objects --batch, stdout piped into the harness and counted', run: () => runGit(repo, ['cat-file', '--batch-all-objects', '--batch'], { piped: true }) },
    { id: 'ferrogit', label: 'ferrogit readObjects, batches of 10,000 oids', run: () => runChild({ contender: 'ferrogit', task: 'all', repo, oidsFile: allFile }) },
    { id: 'es-git', label: 'es-git findObject(oid) per oid (sync)', run: () => runChild({ contender: 'es-git', task: 'all', repo, oidsFile: allFile }) },
    {
      id: 'isomorphic-git',
      label: iso.mode === 'full' ? 'isomorphic-git readObject per oid (awaited in turn)' : `isomorphic-git readObject, seeded sample of ${fmtInt(iso.n)} oids`,
      run: () => runChild({ contender: 'isomorphic-git', task: 'all', repo, oidsFile: iso.file }),
    },
    { id: 'baseline', label: 'node baseline (oid list loaded, nothing read)', run: () => runChild({ contender: 'baseline', task: 'all', repo, oidsFile: allFile }) },
  ]
  const B = [
    { id: 'git', label: 'git cat-file --batch < the 1,000 oids > /dev/null', run: () => runGit(repo, ['cat-file', '--batch'], { stdinFile: concFile }) },
    { id: 'ferrogit', label: 'ferrogit: Promise.all(oids.map(o => repo.readObject(o)))', run: () => runChild({ contender: 'ferrogit', task: 'concurrent', repo, oidsFile: concFile }) },
    { id: 'es-git', label: 'es-git: no Promise read API; Promise.all of async wrappers around sync findObject', run: () => runChild({ contender: 'es-git', task: 'concurrent', repo, oidsFile: concFile }) },
    { id: 'isomorphic-git', label: 'isomorphic-git: Promise.all(oids.map(o => git.readObject({..., cache})))', run: () => runChild({ contender: 'isomorphic-git', task: 'concurrent', repo, oidsFile: concFile }) },
  ]

  const results = { a: {}, b: {} }
  for (const [key, list] of [['a', A], ['b', B]]) {
    for (const c of list) results[key][c.id] = { label: c.label, runs: [], error: null }
    for (let rep = 0; rep < REPS; rep++) {
      for (const c of list) {
        const slot = results[key][c.id]
        if (slot.error) continue
        log(`${name} (${key}) ${c.id} rep ${rep + 1}/${REPS} ...`)
        try {
          const r = await c.run()
          slot.runs.push(r)
          log(`  ${fmtMs(r.ms)} ms, peak RSS ${fmtMiB(r.maxRssKiB)} MiB`)
        } catch (e) {
          slot.error = String(e.message || e).split('\n')[0].slice(0, 300)
          log(`  FAILED: ${slot.error}`)
        }
      }
    }
  }

  // 4. sanity: every contender read the bytes git says are there
  const problems = []
  const chk = (what, got, want) => {
    if (got != null && got !== want) problems.push(`${what}: ${got} bytes, expected ${want}`)
  }
  for (const r of results.a['git-piped'].runs) chk('git (a) piped output', r.bytes, expectedBatchBytes)
  for (const r of results.a.ferrogit.runs) { chk('ferrogit (a) content', r.bytes, contentBytes); chk('ferrogit (a) blob content', r.blobBytes, bytesByType.blob) }
  for (const r of results.a['es-git'].runs) chk('es-git (a) blob content', r.blobBytes, bytesByType.blob)
  if (iso.mode === 'full') for (const r of results.a['isomorphic-git'].runs) chk('isomorphic-git (a) content', r.bytes, contentBytes)
  for (const id of ['ferrogit', 'es-git', 'isomorphic-git']) for (const r of results.b[id].runs) chk(`${id} (b) blob content`, r.blobBytes, concBytes)
  for (const p of problems) log(`CHECK FAILED ${name}: ${p}`)

  // 5. medians (isomorphic-git sample runs are extrapolated to every object)
  const summarize = (slot, extrapolate) => {
    const msOf = (r) => (extrapolate ? r.firstMs + ((r.ms - r.firstMs) / (iso.n - 1)) * (oids.length - 1) : r.ms)
    return {
      ...slot,
      ms: median(slot.runs.map(msOf)),
      sampleMs: extrapolate ? median(slot.runs.map((r) => r.ms)) : null,
      perObjectMs: extrapolate ? median(slot.runs.map((r) => (r.ms - r.firstMs) / (iso.n - 1))) : null,
      firstMs: extrapolate ? median(slot.runs.map((r) => r.firstMs)) : null,
      extrapolated: extrapolate,
      rss: median(slot.runs.map((r) => r.maxRssKiB)),
      openMs: median(slot.runs.map((r) => r.openMs)),
    }
  }
  for (const key of ['a', 'b']) {
    for (const id of Object.keys(results[key])) {
      results[key][id] = summarize(results[key][id], key === 'a' && id === 'isomorphic-git' && iso.mode === 'sample')
    }
  }
  return {
    name, path: repo, built: fx.built, buildMs: fx.buildMs,
    count: oids.length, byType, bytesByType, contentBytes,
    concurrent: { n: conc.length, distinct: concDistinct, blobs: blobs.length, bytes: concBytes },
    iso, results, problems,
  }
}

// ---------------------------------------------------------------- report
const addonChangedNote = (m) => `Note: the project's addon was rebuilt while this ran (at the end: ${m.addonEnd}); every measurement ` +
  'used the copy of the addon and its JS wrapper taken at the start (the build named below), so builds are not mixed, but the results are not ' +
  'those of the newest build.'

/**
 * Copy the addon and its JS wrapper (index.js, binding.js, which loads the
 * addon from its own directory) into the cache, and make every Node child load
 * that copy (FERROGIT_BENCH_MODULE, read by child.mjs): a rebuild in the project
 * during a run then cannot mix builds. Returns the copy's description.
 */
function pinAddon() {
  const name = 'ferrogit.linux-x64-gnu.node'
  const src = join(ROOT, name)
  const st = statSync(src)
  const buf = readFileSync(src)
  const sha = createHash('sha256').update(buf).digest('hex')
  const work = join(CACHE, 'work')
  const dir = join(work, `ferrogit-${sha.slice(0, 16)}`)
  // copies of other builds, unused for an hour, go
  mkdirSync(work, { recursive: true })
  for (const e of readdirSync(work)) {
    const p = join(work, e)
    if (/^ferrogit-[0-9a-f]{16}$/.test(e) && p !== dir && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true })
  }
  mkdirSync(dir, { recursive: true })
  for (const f of ['index.js', 'binding.js']) copyFileSync(join(ROOT, f), join(dir, f))
  writeFileSync(join(dir, name), buf)
  process.env.FERROGIT_BENCH_MODULE = join(dir, 'index.js')
  log(`children load ferrogit from ${dir} (a copy of the project's index.js, binding.js and ${name} as of now)`)
  return `${name} sha256 ${sha.slice(0, 16)}…, modified ${st.mtime.toISOString()}`
}

function addonId() {
  try {
    const f = join(ROOT, 'ferrogit.linux-x64-gnu.node')
    const st = statSync(f)
    return `ferrogit.linux-x64-gnu.node sha256 ${createHash('sha256').update(readFileSync(f)).digest('hex').slice(0, 16)}…, modified ${st.mtime.toISOString()}`
  } catch {
    return '?'
  }
}

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ')

function machine() {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model || '?'
  const memKb = Number((readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s*(\d+)/m) || [])[1])
  const pkgVersion = (p) => {
    try { return JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version } catch { return '?' }
  }
  let head = '?'
  let dirty = ''
  try {
    head = sh('git', ['-C', ROOT, 'rev-parse', '--short=12', 'HEAD'], { env: gitEnv() })
    dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', '.', ':!BENCHMARKS.md', ':!benchmark'], { env: gitEnv() })
      ? ' (plus uncommitted changes to tracked files)' : ''
  } catch {}
  const addon = pinAddon()
  return {
    nproc: sh('nproc', []),
    cpu,
    memGiB: (memKb / 2 ** 20).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    git: sh('git', ['--version']).replace(/^git version /, ''),
    esGit: pkgVersion('es-git'),
    isoGit: pkgVersion('isomorphic-git'),
    ferrogit: `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version} @ ${head}${dirty}`,
    addon,
    loadStart: loadavg(),
    env: ['FERROGIT_THREADS', 'UV_THREADPOOL_SIZE', 'NODE_OPTIONS']
      .map((k) => `${k}=${process.env[k] === undefined ? '(unset)' : process.env[k]}`).join(', '),
  }
}

function tables(r) {
  const L = []
  const t = r.byType
  L.push(`### ${r.name} — ${fmtInt(r.count)} objects`)
  L.push('')
  L.push(`\`${r.path}\` — ${fmtInt(t.commit)} commits, ${fmtInt(t.tree)} trees, ${fmtInt(t.blob)} blobs, ${fmtInt(t.tag)} tags; ` +
    `${(r.contentBytes / 2 ** 20).toFixed(1)} MiB of object content (${(r.bytesByType.blob / 2 ** 20).toFixed(1)} MiB in blobs).` +
    (r.built ? ` Fixture built for this run in ${(r.buildMs / 1000).toFixed(0)} s.` : ''))
  L.push('')

  const gitA = r.results.a.git
  const fgA = r.results.a.ferrogit
  L.push(`**(a) Read every object** — median of ${REPS} run${REPS > 1 ? 's' : ''}, each in a fresh process. ` +
    '"vs git" = contender ÷ git (below 1 is faster than git); "vs ferrogit" = contender ÷ ferrogit (how many times slower than ferrogit).')
  L.push('')
  L.push('| contender | median ms | runs (ms) | vs git | vs ferrogit | peak RSS MiB | RSS vs git |')
  L.push('|---|---:|---|---:|---:|---:|---:|')
  for (const [id, s] of Object.entries(r.results.a)) {
    if (s.error) { L.push(`| ${s.label} | failed: ${s.error.replace(/\|/g, '\\|')} | | | | | |`); continue }
    const isBase = id === 'baseline'
    const x = s.extrapolated ? '~' : ''
    const runs = s.extrapolated ? `sample: ${s.runs.map((q) => fmtMs(q.ms)).join(', ')}` : s.runs.map((q) => fmtMs(q.ms)).join(', ')
    L.push(`| ${s.label}${s.extrapolated ? ' **(extrapolated)**' : ''} | ${isBase ? '—' : x + fmtMs(s.ms)} | ${isBase ? '—' : runs} | ` +
      `${isBase ? '—' : x + fmtRatio(s.ms / gitA.ms)} | ${isBase ? '—' : x + fmtRatio(s.ms / fgA.ms)} | ` +
      `${fmtMiB(s.rss)}${s.extrapolated ? ' (sample run)' : ''} | ${fmtRatio(s.rss / gitA.rss)} |`)
  }
  const iso = r.results.a['isomorphic-git']
  if (iso.extrapolated && !iso.error) {
    L.push('')
    L.push(`Extrapolated: a full isomorphic-git run was estimated at ${fmtMs(r.iso.estimateMs)} ms (> ${ISO_BUDGET_MS / 1000} s), so it read a fixed ` +
      `seeded random sample of ${fmtInt(r.iso.n)} oids (seed 0x${SEED_ISO_SAMPLE.toString(16)}): median ${fmtMs(iso.sampleMs)} ms for the sample, ` +
      `of which ${fmtMs(iso.firstMs)} ms for the first read (loads the pack index and packfile), then ${iso.perObjectMs.toFixed(3)} ms per object. ` +
      `Total = first read + per-object × (${fmtInt(r.count)} − 1) ≈ ${fmtMs(iso.ms)} ms. This is an estimate, not a measurement.`)
  }
  L.push('')

  const gitB = r.results.b.git
  const fgB = r.results.b.ferrogit
  const c = r.concurrent
  L.push(`**(b) ${fmtInt(c.n)} concurrent Promise reads of random blobs** (${fmtInt(c.distinct)} distinct of the repository's ${fmtInt(c.blobs)} blobs, ` +
    `seed 0x${SEED_CONCURRENT.toString(16)}; ${(c.bytes / 2 ** 20).toFixed(2)} MiB). Node contenders: repository opened first (not timed), then the reads timed ` +
    'until every promise has resolved; git: spawn to exit.')
  L.push('')
  L.push('| contender (API used) | median ms | runs (ms) | vs git | vs ferrogit | peak RSS MiB |')
  L.push('|---|---:|---|---:|---:|---:|')
  for (const s of Object.values(r.results.b)) {
    if (s.error) { L.push(`| ${s.label} | failed: ${s.error.replace(/\|/g, '\\|')} | | | | |`); continue }
    L.push(`| ${s.label} | ${fmtMs(s.ms)} | ${s.runs.map((q) => fmtMs(q.ms)).join(', ')} | ${fmtRatio(s.ms / gitB.ms)} | ${fmtRatio(s.ms / fgB.ms)} | ${fmtMiB(s.rss)} |`)
  }
  const crashes = []
  for (const key of ['a', 'b']) {
    for (const s of Object.values(r.results[key])) {
      const n = s.runs.filter((q) => q.crash).length
      if (n) crashes.push(`(${key}) ${s.label}: ${n} of ${s.runs.length} runs ${s.runs.find((q) => q.crash).crash}`)
    }
  }
  if (crashes.length) {
    L.push('')
    L.push(`Crashes (results kept, the timed work had finished): ${crashes.join('; ')}.`)
  }
  if (r.problems.length) {
    L.push('')
    L.push(`**Correctness checks FAILED:** ${r.problems.join('; ')}`)
  }
  L.push('')
  return L.join('\n')
}

function targets(all) {
  const L = []
  L.push('## Targets')
  L.push('')
  L.push('From the issue: "Reading every object of medium: no slower than git cat-file --batch-all-objects --batch (ratio ≤ 1.0), ' +
    'at least 3× faster than es-git reading the same oids; peak RSS under 2× git\'s".')
  L.push('')
  const med = all.find((r) => r.name === 'medium')
  const judge = (r, final) => {
    const a = r.results.a
    const fg = a.ferrogit
    const out = []
    if (fg.error || a.git.error) {
      out.push(`- ferrogit or git failed on ${r.name}; targets cannot be judged.`)
      return out
    }
    const word = (ok) => (final ? (ok ? '**met**' : '**NOT met**') : ok ? 'would be met' : 'would not be met')
    const vsGit = fg.ms / a.git.ms
    const gp = a['git-piped']
    const vsPiped = gp.error ? null : fg.ms / gp.ms
    out.push(`- Speed vs git: ferrogit ${fmtMs(fg.ms)} ms vs \`git cat-file --batch-all-objects --batch > /dev/null\` ${fmtMs(a.git.ms)} ms → ` +
      `ratio ${fmtRatio(vsGit)} (target ≤ 1.0): ${word(vsGit <= 1)}.` +
      (vsPiped != null ? ` (Against git with its stdout piped into the Node harness instead, ${fmtMs(gp.ms)} ms, the ratio is ${fmtRatio(vsPiped)}` +
        `${final ? `: ${vsPiped <= 1 ? 'met' : 'not met'} on that looser baseline` : ''}.)` : ''))
    if (a['es-git'].error) out.push(`- Speed vs es-git: es-git failed (${a['es-git'].error}); not judged.`)
    else {
      const x = a['es-git'].ms / fg.ms
      out.push(`- Speed vs es-git: es-git ${fmtMs(a['es-git'].ms)} ms ÷ ferrogit ${fmtMs(fg.ms)} ms = ${fmtRatio(x)}× (target ≥ 3×): ${word(x >= 3)}.`)
    }
    if (fg.rss == null || a.git.rss == null) out.push('- Peak RSS: not measured (no /usr/bin/time?).')
    else {
      const x = fg.rss / a.git.rss
      const base = a.baseline.error ? null : a.baseline.rss
      out.push(`- Peak RSS: ferrogit ${fmtMiB(fg.rss)} MiB vs git ${fmtMiB(a.git.rss)} MiB → ${fmtRatio(x)}× (target < 2×): ${word(x < 2)}.` +
        (base != null ? ` (The ferrogit figure is the whole Node process; Node with the oid list loaded and nothing read peaks at ${fmtMiB(base)} MiB.)` : ''))
    }
    return out
  }
  if (med) {
    L.push(`Judged on medium in this run (medians of ${REPS}):`)
    L.push('')
    L.push(...judge(med, true))
  } else {
    L.push('medium was not run (`--quick`), so the targets are not judged in this run. For orientation only, the same checks on small:')
    L.push('')
    const small = all.find((r) => r.name === 'small')
    if (small) L.push(...judge(small, false))
  }
  L.push('')
  return L.join('\n')
}

function report(all, m, started, totalMs) {
  const L = []
  L.push('# ferrogit benchmarks')
  L.push('')
  L.push(`Generated by \`${COMMAND}\` (from the project root) on ${started.toISOString()}; the run took ${(totalMs / 60000).toFixed(1)} min.` +
    (QUICK ? ' This was a `--quick` run (small and the project\'s own .git, 1 repetition).' : ''))
  L.push('')
  L.push('## Machine')
  L.push('')
  L.push(`- CPU: ${m.cpu}, nproc ${m.nproc}; memory ${m.memGiB} GiB; ${m.os}`)
  L.push(`- node ${m.node}, git ${m.git}`)
  L.push(`- ferrogit ${m.ferrogit}; ${m.addon}`)
  L.push(`- es-git ${m.esGit} (libgit2), isomorphic-git ${m.isoGit}`)
  L.push(`- load average (1 / 5 / 15 min) at start ${m.loadStart}, at end ${m.loadEnd}` +
    (Number(m.loadStart.split(' ')[0]) > 0.5 ? ' — the machine was not idle when the run started; expect some noise.' : '') +
    ' (The benchmark itself keeps the 1-minute figure near 1 while it runs.)')
  L.push(`- environment: ${m.env}`)
  if (m.addonEnd !== m.addon) L.push(`- ${addonChangedNote(m)}`)
  L.push('')
  L.push('## Repositories')
  L.push('')
  L.push('| repository | objects | commits | trees | blobs | tags | content MiB | path |')
  L.push('|---|---:|---:|---:|---:|---:|---:|---|')
  for (const r of all) {
    const t = r.byType
    L.push(`| ${r.name} | ${fmtInt(r.count)} | ${fmtInt(t.commit)} | ${fmtInt(t.tree)} | ${fmtInt(t.blob)} | ${fmtInt(t.tag)} | ${(r.contentBytes / 2 ** 20).toFixed(1)} | \`${r.path}\` |`)
  }
  L.push('')
  L.push('`self` is this project\'s own `.git`; small and medium are built by `make-repo small|medium` (deterministic; cached under ' +
    `\`${CACHE}\`). Object lists come from \`git cat-file --batch-all-objects --batch-check\` (sorted by oid), and every contender reads that same list in that order.`)
  L.push('')
  L.push(targets(all))
  L.push('## Results')
  L.push('')
  for (const r of all) L.push(tables(r))
  L.push('## Method')
  L.push('')
  L.push(...[
    '- Every measurement is one fresh process, run one at a time (the machine has ' + m.nproc + ' cores; nothing else of the benchmark runs alongside). ' +
      `Repetitions go round-robin over the contenders; the table shows the median. Files are in the page cache (warm).`,
    '- Peak RSS: `process.resourceUsage().maxRSS` at the end of the Node child (so it includes Node itself and the oid list; see the baseline row), ' +
      '`/usr/bin/time -f %M` for git.',
    '- git (a): `git cat-file --batch-all-objects --batch` with stdout on /dev/null (spawned by the harness under `/usr/bin/time`, timed from spawn to exit). ' +
      'This is the "git" that every ratio divides by. The "piped" row runs the same command with stdout piped into the Node harness, counted and discarded ' +
      '(the byte count is checked against the expected `--batch` output); it is slower than /dev/null because `cat-file --batch` flushes after every ' +
      'object and the pipe makes each flush a context switch, so it is shown for reference only.',
    '- ferrogit (a): timed from `Repository.openSync` through `readObjects` over the oid list in batches of 10,000 (one native crossing per batch; ' +
      'a program reading half a gigabyte of objects streams them rather than holding all at once, as git cat-file streams its output), ' +
      'touching every result as es-git\'s are touched: its `type` and each blob\'s `size` (commits, trees and tags are read, inflated and parsed ' +
      'natively, as libgit2\'s lookup does for es-git; nothing is copied out). Each result\'s oid is checked against the request and blob sizes ' +
      'against git\'s. Module loading and reading the oid list are not timed.',
    '- es-git (a): timed from `openRepository` through `repo.findObject(oid)` + `type()` for every oid, plus `peelToBlob().size()` for blobs ' +
      '(`findObject` is libgit2\'s `git_object_lookup`, which reads, inflates and parses the whole object). es-git has no batch or asynchronous object ' +
      'read, and no raw-bytes accessor for commits, trees and tags, so those are not copied out. Blob sizes are checked against git\'s.',
    '- isomorphic-git (a): `await git.readObject({ fs, gitdir, oid, format: \'content\', cache })` for each oid in turn, with one shared `cache` object. ' +
      `When ${ISO_CALIBRATE} seeded random reads predict more than ${ISO_BUDGET_MS / 1000} s for the whole repository, it reads a fixed seeded sample of ` +
      `${fmtInt(ISO_SAMPLE)} oids instead and the total is extrapolated (marked "~" and "(extrapolated)"; its peak RSS is then that of the sample run).`,
    '- (b): the same 1,000 seeded random blob oids for everyone. ferrogit `Promise.all(oids.map(o => repo.readObject(o)))` on a freshly opened ' +
      'repository; isomorphic-git `Promise.all` of `readObject` with a shared cache; es-git has no Promise read API, so the closest is `Promise.all` of ' +
      '`async` wrappers around the synchronous `findObject` (they run one after another). git reference: `git cat-file --batch` with the oids on stdin and stdout on /dev/null, spawn to exit (so it includes git\'s start-up and repository open).',
  ])
  L.push('')
  return L.join('\n')
}

// ================================================================ refs suite
// On `make-repo refs`: list every ref, resolve 10,000 random names, and 1,000
// single-ref updates, against git's own commands, es-git and isomorphic-git.
const REFS_RESOLVE = 10_000
const REFS_UPDATES = 1_000
const SEED_REFS_RESOLVE = 0x2ef5
const SEED_REFS_UPDATE = 0x0bd8
const REFS_ISO_RESOLVE_SAMPLE = QUICK ? 5 : 20 // isomorphic-git re-reads packed-refs per resolveRef
const REFS_PROC_SAMPLE = 100 // separate `git update-ref` processes, extrapolated to REFS_UPDATES
const REFS_SLOW_MS = 30_000 // a contender whose first run takes longer is not repeated

const sha1 = (xs) => createHash('sha1').update(xs.join('\n')).digest('hex')

function refsFixture() {
  // Built in place (its linked worktree at DEST-wt records absolute paths, so it
  // cannot be renamed after the build); `<dest>.complete` marks a finished build.
  const dest = join(CACHE, 'refs')
  const marker = `${dest}.complete`
  if (existsSync(dest) && existsSync(marker)) {
    log(`reusing refs fixture at ${dest}`)
    return { path: dest, built: false, buildMs: null }
  }
  const makeRepo = findMakeRepo()
  rmSync(dest, { recursive: true, force: true })
  rmSync(`${dest}-wt`, { recursive: true, force: true })
  rmSync(join(CACHE, 'work', 'refs-update-copy.complete'), { force: true }) // the update runs' working copy
  log(`building refs fixture with ${makeRepo} (takes a minute or two) ...`)
  const t0 = performance.now()
  execFileSync(makeRepo, ['refs', dest], { stdio: ['ignore', 'inherit', 'inherit'] })
  writeFileSync(marker, `built by benchmark/run.mjs ${new Date().toISOString()}\n`)
  const buildMs = performance.now() - t0
  log(`built refs in ${(buildMs / 1000).toFixed(1)} s`)
  return { path: dest, built: true, buildMs }
}

function looseRefNames(gitDir) {
  const out = new Set()
  const walk = (rel) => {
    for (const e of readdirSync(join(gitDir, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && !e.name.endsWith('.lock')) out.add(p)
    }
  }
  walk('refs')
  return out
}

/** Every ref as git sees it: name, oid (resolved, for symbolic refs too), symref target. */
function gitRefs(gitDir) {
  const text = sh('git', ['--git-dir=' + gitDir, 'for-each-ref', '--format=%(objectname) %(refname) %(symref)'], { env: gitEnv() })
  return text.split('\n').filter(Boolean).map((l) => {
    const [oid, name, symref] = l.split(' ')
    return { oid, name, symref: symref || null }
  })
}

/** `git update-ref NAME NEW OLD` as separate processes, one after another (spawn of the first to exit of the last). */
async function gitUpdateRefProcesses(gitDir, ups) {
  const t0 = performance.now()
  for (const u of ups) await runProcess('git', ['--git-dir=' + gitDir, 'update-ref', u.name, u.next, u.old], { stdout: 'ignore' })
  return { ms: performance.now() - t0, maxRssKiB: null }
}

async function benchRefs(fx) {
  const repo = fx.path
  const work = join(CACHE, 'work')
  mkdirSync(work, { recursive: true })

  // 1. the refs, as git sees them
  const refs = gitRefs(repo)
  const loose = looseRefNames(repo)
  const packedText = readFileSync(join(repo, 'packed-refs'), 'utf8')
  const packed = new Set(packedText.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => l.slice(41)))
  const byName = new Map(refs.map((r) => [r.name, r]))
  const direct = refs.filter((r) => !r.symref)
  const symbolic = refs.filter((r) => r.symref)
  const expectList = {
    count: refs.length,
    direct: direct.length,
    namesSha1: sha1(refs.map((r) => r.name)),
    pairsSha1: sha1(direct.map((r) => `${r.oid} ${r.name}`)),
  }
  const space = (n) => refs.filter((r) => r.name.startsWith(n)).length
  const info = {
    path: repo, built: fx.built, buildMs: fx.buildMs,
    count: refs.length, loose: loose.size, packed: packed.size, symbolic: symbolic.length,
    looseAndPacked: [...loose].filter((n) => packed.has(n)).length,
    heads: space('refs/heads/'), tags: space('refs/tags/'), remotes: space('refs/remotes/'),
    packedRefsBytes: Buffer.byteLength(packedText),
    worktree: existsSync(`${repo}-wt`) ? `${repo}-wt` : null,
  }
  log(`refs: ${fmtInt(refs.length)} refs (${fmtInt(loose.size)} loose files, ${fmtInt(packed.size)} packed, ${symbolic.length} symbolic)`)

  // 2. 10,000 seeded random names from the full list, and the oids git resolves them to
  const names = seededPick(refs.map((r) => r.name), REFS_RESOLVE, SEED_REFS_RESOLVE)
  const namesFile = join(work, 'refs.resolve.names')
  writeFileSync(namesFile, names.join('\n') + '\n')
  const expectResolve = sha1(names.map((n) => byName.get(n).oid))
  const isoNames = names.slice(0, REFS_ISO_RESOLVE_SAMPLE) // names is already a seeded random order
  const isoNamesFile = join(work, 'refs.resolve.iso-sample.names')
  writeFileSync(isoNamesFile, isoNames.join('\n') + '\n')
  const expectIsoResolve = sha1(isoNames.map((n) => byName.get(n).oid))
  const resolveMix = {
    n: names.length,
    loose: names.filter((n) => loose.has(n)).length,
    looseOnly: names.filter((n) => loose.has(n) && !packed.has(n)).length,
    packedOnly: names.filter((n) => !loose.has(n) && packed.has(n)).length,
    symbolic: names.filter((n) => byName.get(n).symref).length,
  }
  // git's own answers, untimed, checked against for-each-ref
  const problems = []
  const revParse = sh('git', ['--git-dir=' + repo, 'rev-parse', ...names], { env: gitEnv() }).split('\n')
  if (sha1(revParse) !== expectResolve) problems.push('git rev-parse resolved the names differently from for-each-ref')
  const catFile = sh('git', ['--git-dir=' + repo, 'cat-file', '--batch-check=%(objectname)'], { env: gitEnv(), input: names.join('\n') + '\n' }).split('\n')
  if (sha1(catFile) !== expectResolve) problems.push('git cat-file --batch-check resolved the names differently from for-each-ref')

  // 3. 1,000 updates: existing branches (not symbolic, not main, not checked out
  // in the worktree) moved from their current commit to main or main~1, with the old value checked
  const mainOid = byName.get('refs/heads/main').oid
  const parentOid = sh('git', ['--git-dir=' + repo, 'rev-parse', 'refs/heads/main~1'], { env: gitEnv() })
  const wtHead = info.worktree ? sh('git', ['-C', info.worktree, 'symbolic-ref', '-q', 'HEAD'], { env: gitEnv() }) : ''
  const candidates = direct.filter((r) => r.name.startsWith('refs/heads/') && r.name !== 'refs/heads/main' && r.name !== wtHead).map((r) => r.name)
  const ups = seededPick(candidates, REFS_UPDATES, SEED_REFS_UPDATE).map((name) => {
    const old = byName.get(name).oid
    return { name, old, next: old === mainOid ? parentOid : mainOid }
  })
  const upFile = join(work, 'refs.update.lines')
  writeFileSync(upFile, ups.map((u) => `${u.name} ${u.next} ${u.old}`).join('\n') + '\n')
  const stdinOneTx = join(work, 'refs.update.stdin-one-transaction')
  writeFileSync(stdinOneTx, ups.map((u) => `update ${u.name} ${u.next} ${u.old}\n`).join(''))
  const stdinPerRef = join(work, 'refs.update.stdin-per-ref')
  writeFileSync(stdinPerRef, ups.map((u) => `start\nupdate ${u.name} ${u.next} ${u.old}\ncommit\n`).join(''))
  const updateMix = {
    n: ups.length,
    loose: ups.filter((u) => loose.has(u.name)).length,
    packedOnly: ups.filter((u) => !loose.has(u.name)).length,
    withReflog: ups.filter((u) => existsSync(join(repo, 'logs', u.name))).length,
  }
  // A full copy of the fixture per run would take most of a minute here (70,000
  // reflog files), so one working copy is made once (cp -a, cached next to the
  // fixture) and, before every update run (untimed), the files an update of these
  // 1,000 refs can touch are put back as they are in the fixture: each ref's loose
  // file and reflog, and packed-refs. The copy is then checked ref by ref.
  const copy = join(work, 'refs-update-copy')
  const copyMarker = `${copy}.complete`
  const snapshot = ups.map((u) => {
    const read = (p) => (existsSync(p) ? readFileSync(p) : null)
    return { name: u.name, loose: read(join(repo, u.name)), log: read(join(repo, 'logs', u.name)) }
  })
  const packedBuf = readFileSync(join(repo, 'packed-refs'))
  const sameRefs = () => {
    const now = gitRefs(copy)
    return now.length === refs.length && now.every((r, k) => r.name === refs[k].name && r.oid === refs[k].oid)
  }
  const freshCopy = () => {
    if (!existsSync(copy) || !existsSync(copyMarker) || readFileSync(copyMarker, 'utf8') !== repo) {
      execFileSync('rm', ['-rf', copy], { stdio: 'ignore' })
      log(`copying the refs fixture to ${copy} (once) ...`)
      mkdirSync(copy, { recursive: true })
      execFileSync('cp', ['-a', repo + '/.', copy], { stdio: ['ignore', 'ignore', 'inherit'] })
      writeFileSync(copyMarker, repo)
    }
    const put = (p, buf) => {
      rmSync(`${p}.lock`, { force: true })
      if (buf === null) rmSync(p, { force: true })
      else { mkdirSync(dirname(p), { recursive: true }); writeFileSync(p, buf) }
    }
    for (const x of snapshot) {
      put(join(copy, x.name), x.loose)
      put(join(copy, 'logs', x.name), x.log)
    }
    put(join(copy, 'packed-refs'), packedBuf)
    if (!sameRefs()) {
      log('refs working copy differs from the fixture: copying again')
      rmSync(copyMarker, { force: true })
      return freshCopy()
    }
    return copy
  }
  /** After an update run (untimed): every ref moved? reflog appended? nothing else changed? */
  const checkUpdate = (label, n = ups.length) => {
    const after = new Map(gitRefs(copy).map((r) => [r.name, r.oid]))
    const done = ups.slice(0, n)
    const moved = done.filter((u) => after.get(u.name) === u.next).length
    const reflogged = done.filter((u) => {
      try {
        const last = readFileSync(join(copy, 'logs', u.name), 'utf8').trimEnd().split('\n').pop().split(' ')
        return last[0] === u.old && last[1] === u.next
      } catch { return false }
    }).length
    const touched = new Set(done.map((u) => u.name))
    const others = refs.filter((r) => !touched.has(r.name) && after.get(r.name) !== r.oid).length
    if (moved !== n) problems.push(`${label}: ${moved} of ${n} refs moved`)
    if (others) problems.push(`${label}: ${others} other refs changed`)
    if (after.size !== refs.length) problems.push(`${label}: ${after.size} refs after, ${refs.length} before`)
    return { moved, reflogged }
  }

  // 4. the measurements
  const checkList = (label, r, { oids = true } = {}) => {
    const bad = []
    if (r.count !== expectList.count) bad.push(`${r.count} refs listed, for-each-ref has ${expectList.count}`)
    if (r.namesSha1 !== expectList.namesSha1) bad.push('names differ from for-each-ref')
    if (oids && r.pairsSha1 !== expectList.pairsSha1) bad.push('oids differ from for-each-ref')
    for (const b of bad) problems.push(`${label}: ${b}`)
    return bad.length ? `✗ ${bad.join('; ')}` : `✓ ${fmtInt(r.count)} refs${oids ? ` (${fmtInt(r.direct)} oids)` : ', names only'}`
  }
  const checkResolve = (label, r, want, n) => {
    if (r.count === n && r.oidsSha1 === want) return `✓ ${fmtInt(n)} oids`
    problems.push(`${label}: resolved oids differ from git's`)
    return '✗ oids differ from git\'s'
  }
  const LIST = [
    { id: 'git', label: "git for-each-ref --format='%(objectname) %(refname)' > /dev/null", run: () => runGit(repo, ['for-each-ref', '--format=%(objectname) %(refname)']), check: () => `✓ ${fmtInt(refs.length)} lines (untimed run)` },
    { id: 'ferrogit', label: 'ferrogit repo.refs.listSync()', run: () => runChild({ contender: 'ferrogit', task: 'refs-list', repo }), check: (r) => checkList('ferrogit listSync', r) },
    { id: 'ferrogit-async', label: 'ferrogit await repo.refs.list()', run: () => runChild({ contender: 'ferrogit', task: 'refs-list-async', repo }), check: (r) => checkList('ferrogit list', r) },
    { id: 'es-git', label: 'es-git branches() + findReference(name).target() per branch + tagForeach', run: () => runChild({ contender: 'es-git', task: 'refs-list', repo }), check: (r) => checkList('es-git', r) },
    ...(QUICK ? [] : [{ id: 'isomorphic-git', label: 'isomorphic-git listRefs of refs/heads, refs/tags, refs/remotes (names only)', run: () => runChild({ contender: 'isomorphic-git', task: 'refs-list', repo }), check: (r) => checkList('isomorphic-git', r, { oids: false }) + (r.listed !== r.count ? ` (listRefs returned ${fmtInt(r.listed)} names, ${fmtInt(r.peeled)} of them \`<tag>^{}\` entries from packed-refs' peeled lines, dropped before the check)` : '') }]),
  ]
  const RESOLVE = [
    { id: 'git', label: "git cat-file --batch-check='%(objectname)' < the 10,000 names > /dev/null", run: () => runGit(repo, ['cat-file', '--batch-check=%(objectname)'], { stdinFile: namesFile }), check: () => '✓ (untimed run)' },
    { id: 'git-rev-parse', label: 'git rev-parse <the 10,000 names> > /dev/null', run: () => runGit(repo, ['rev-parse', ...names]), check: () => '✓ (untimed run)' },
    { id: 'ferrogit', label: 'ferrogit repo.refs.resolveSync(name) per name', run: () => runChild({ contender: 'ferrogit', task: 'refs-resolve', repo, namesFile }), check: (r) => checkResolve('ferrogit', r, expectResolve, names.length) },
    { id: 'es-git', label: 'es-git getReference(name).resolve().target() per name', run: () => runChild({ contender: 'es-git', task: 'refs-resolve', repo, namesFile }), check: (r) => checkResolve('es-git', r, expectResolve, names.length) },
    { id: 'isomorphic-git', sample: isoNames.length, label: `isomorphic-git await resolveRef per name, seeded sample of ${isoNames.length} names`, run: () => runChild({ contender: 'isomorphic-git', task: 'refs-resolve', repo, namesFile: isoNamesFile }), check: (r) => checkResolve('isomorphic-git', r, expectIsoResolve, isoNames.length) },
  ]
  const withCopy = (label, run, n) => async () => {
    const dir = freshCopy()
    // write back the restore (and any earlier run's files) now, so that the
    // kernel's writeback does not land in this run's timed region
    execFileSync('sync')
    const r = await run(dir)
    return { ...r, ...checkUpdate(label, n) }
  }
  const upCheck = (r, n = ups.length) => `${r.moved === n ? '✓' : '✗'} ${fmtInt(r.moved)} moved, ${fmtInt(r.reflogged)} reflogged`
  const UPDATE = [
    { id: 'git', label: 'git update-ref --stdin: 1,000 `update` lines, one transaction', run: withCopy('git --stdin', (d) => runGit(d, ['update-ref', '--stdin'], { stdinFile: stdinOneTx })), check: (r) => upCheck(r) },
    { id: 'git-per-ref', label: 'git update-ref --stdin: `start` / `update` / `commit` per ref (1,000 transactions, one process)', run: withCopy('git --stdin start/commit', (d) => runGit(d, ['update-ref', '--stdin'], { stdinFile: stdinPerRef })), check: (r) => upCheck(r) },
    { id: 'git-processes', sample: REFS_PROC_SAMPLE, label: `\`git update-ref NAME NEW OLD\`, one process per ref (${REFS_PROC_SAMPLE} run, ×${REFS_UPDATES / REFS_PROC_SAMPLE})`, run: withCopy('git update-ref processes', (d) => gitUpdateRefProcesses(d, ups.slice(0, REFS_PROC_SAMPLE)), REFS_PROC_SAMPLE), check: (r) => upCheck(r, REFS_PROC_SAMPLE) },
    { id: 'ferrogit', label: 'ferrogit repo.refs.updateSync(name, new, { expectedOld }) per ref', run: withCopy('ferrogit updateSync', (d) => runChild({ contender: 'ferrogit', task: 'refs-update', repo: d, namesFile: upFile })), check: (r) => upCheck(r) },
    { id: 'es-git', label: 'es-git createBranch(name, commit, { force: true }) per ref (no expected-old check)', run: withCopy('es-git createBranch', (d) => runChild({ contender: 'es-git', task: 'refs-update', repo: d, namesFile: upFile })), check: (r) => upCheck(r) },
    { id: 'isomorphic-git', label: 'isomorphic-git writeRef({ force: true }) per ref (no expected-old check, no reflog)', run: withCopy('isomorphic-git writeRef', (d) => runChild({ contender: 'isomorphic-git', task: 'refs-update', repo: d, namesFile: upFile })), check: (r) => upCheck(r) },
  ]

  const results = { list: {}, resolve: {}, update: {} }
  for (const [key, list] of [['list', LIST], ['resolve', RESOLVE], ['update', UPDATE]]) {
    for (const c of list) results[key][c.id] = { label: c.label, sample: c.sample ?? null, runs: [], checks: [], error: null, single: false }
    for (let rep = 0; rep < REPS; rep++) {
      for (const c of list) {
        const slot = results[key][c.id]
        if (slot.error || slot.single) continue
        log(`refs (${key}) ${c.id} rep ${rep + 1}/${REPS} ...`)
        try {
          const r = await c.run()
          slot.runs.push(r)
          slot.checks.push(c.check(r))
          log(`  ${fmtMs(r.ms)} ms, peak RSS ${fmtMiB(r.maxRssKiB)} MiB; ${slot.checks.at(-1)}`)
          if (rep === 0 && r.ms > REFS_SLOW_MS && REPS > 1) {
            slot.single = true
            log(`  (over ${REFS_SLOW_MS / 1000} s: not repeated)`)
          }
        } catch (e) {
          slot.error = String(e.message || e).split('\n')[0].slice(0, 300)
          problems.push(`refs (${key}) ${c.id}: ${slot.error}`)
          log(`  FAILED: ${slot.error}`)
        }
      }
    }
  }
  for (const p of problems) log(`CHECK FAILED refs: ${p}`)

  // 5. medians; samples are extrapolated
  const total = { list: refs.length, resolve: names.length, update: ups.length }
  for (const [key, slots] of Object.entries(results)) {
    for (const [id, slot] of Object.entries(slots)) {
      const msOf = (r) => {
        if (!slot.sample) return r.ms
        if (key === 'resolve') return r.firstMs + ((r.ms - r.firstMs) / (slot.sample - 1)) * (total.resolve - 1)
        return (r.ms / slot.sample) * total[key]
      }
      slots[id] = {
        ...slot,
        ms: median(slot.runs.map(msOf)),
        sampleMs: slot.sample ? median(slot.runs.map((r) => r.ms)) : null,
        firstMs: slot.sample && key === 'resolve' ? median(slot.runs.map((r) => r.firstMs)) : null,
        rss: median(slot.runs.map((r) => r.maxRssKiB)),
        check: [...new Set(slot.checks)].join(' / '),
      }
    }
  }
  return { info, resolveMix, updateMix, total, results, problems, mainOid, parentOid }
}

function refsTables(r) {
  const L = []
  const one = (key, title, { perItem, unit }) => {
    const slots = r.results[key]
    const gitMs = slots.git.ms
    const fgMs = slots.ferrogit.ms
    L.push(title)
    L.push('')
    L.push(`| contender | median ms | runs (ms) |${perItem ? ` ${unit} |` : ''} vs git | vs ferrogit | peak RSS MiB | check |`)
    L.push(`|---|---:|---|${perItem ? '---:|' : ''}---:|---:|---:|---|`)
    for (const s of Object.values(slots)) {
      if (s.error) { L.push(`| ${s.label} | failed: ${s.error.replace(/\|/g, '\\|')} | |${perItem ? ' |' : ''} | | | |`); continue }
      const x = s.sample ? '~' : ''
      const runs = (s.sample ? 'sample: ' : '') + s.runs.map((q) => fmtMs(q.ms)).join(', ') + (s.single ? ' (1 run: over 30 s)' : '')
      const per = perItem ? ` ${x}${fmtMs(s.ms * 1000 / r.total[key])} |` : ''
      L.push(`| ${s.label}${s.sample ? ' **(extrapolated)**' : ''} | ${x}${fmtMs(s.ms)} | ${runs} |${per} ${x}${fmtRatio(s.ms / gitMs)} | ${x}${fmtRatio(s.ms / fgMs)} | ` +
        `${fmtMiB(s.rss)}${s.sample && s.rss != null ? ' (sample run)' : ''} | ${s.check.replace(/\|/g, '\\|')} |`)
    }
    L.push('')
  }
  const i = r.info
  const rm = r.resolveMix
  const um = r.updateMix
  one('list', `**List every ref** (${fmtInt(i.count)} refs). "vs git" = contender ÷ \`git for-each-ref\`; "vs ferrogit" = contender ÷ ferrogit \`listSync\`.`, {})
  one('resolve', `**Resolve ${fmtInt(rm.n)} random names** (seed 0x${SEED_REFS_RESOLVE.toString(16)}: ${fmtInt(rm.packedOnly)} packed only, ${fmtInt(rm.loose)} loose ` +
    `(${fmtInt(rm.looseOnly)} loose only), ${rm.symbolic} symbolic). "vs git" = contender ÷ \`git cat-file --batch-check\`.`, { perItem: true, unit: 'µs per name' })
  one('update', `**${fmtInt(um.n)} single-ref updates** (seed 0x${SEED_REFS_UPDATE.toString(16)}: existing branches, ${fmtInt(um.packedOnly)} packed only and ${fmtInt(um.loose)} loose, ` +
    `each moved from its commit to \`main\` or \`main~1\` with the old value checked; ${fmtInt(um.withReflog)} already have a reflog, and \`core.logAllRefUpdates=always\`). ` +
    'Each run starts from the fixture\'s state (restored untimed). "vs git" = contender ÷ `git update-ref --stdin` with all 1,000 in one transaction.', { perItem: true, unit: 'µs per ref' })
  return L.join('\n')
}

function refsTargets(r) {
  const L = []
  L.push('### Targets')
  L.push('')
  L.push('From the issue: "Listing and resolving at least as fast as git\'s own commands in the same run; a one-ref update no slower than ' +
    '`git update-ref` per ref in a batch." Judged on the medians above (ferrogit sync API, open included; git spawn to exit).')
  L.push('')
  const word = (ok) => (ok ? '**met**' : '**NOT met**')
  const { list, resolve: res, update } = r.results
  const ok = (...s) => s.every((x) => !x.error && x.ms != null)
  if (ok(list.ferrogit, list.git)) {
    const x = list.ferrogit.ms / list.git.ms
    L.push(`- Listing: ferrogit \`listSync\` ${fmtMs(list.ferrogit.ms)} ms vs \`git for-each-ref\` ${fmtMs(list.git.ms)} ms → ratio ${fmtRatio(x)} (target ≤ 1.0): ${word(x <= 1)}.` +
      (ok(list['ferrogit-async']) ? ` (Promise \`list()\`: ${fmtMs(list['ferrogit-async'].ms)} ms, ratio ${fmtRatio(list['ferrogit-async'].ms / list.git.ms)}.)` : ''))
  } else L.push('- Listing: ferrogit or git failed; not judged.')
  if (ok(res.ferrogit, res.git, res['git-rev-parse'])) {
    const a = res.ferrogit.ms / res.git.ms
    const b = res.ferrogit.ms / res['git-rev-parse'].ms
    L.push(`- Resolving: ferrogit \`resolveSync\` ×${fmtInt(r.total.resolve)} ${fmtMs(res.ferrogit.ms)} ms vs \`git cat-file --batch-check\` ${fmtMs(res.git.ms)} ms → ratio ${fmtRatio(a)}, ` +
      `vs \`git rev-parse\` ${fmtMs(res['git-rev-parse'].ms)} ms → ratio ${fmtRatio(b)} (target ≤ 1.0 against both): ${word(a <= 1 && b <= 1)}.`)
  } else L.push('- Resolving: ferrogit or git failed; not judged.')
  if (ok(update.ferrogit, update.git)) {
    const n = r.total.update
    const fg = update.ferrogit.ms / n
    const g = update.git.ms / n
    const pr = update['git-per-ref']
    L.push(`- One-ref update: ferrogit \`updateSync\` ${(fg * 1000).toFixed(0)} µs per ref (each its own transaction) vs \`git update-ref --stdin\` ` +
      `${(g * 1000).toFixed(0)} µs per ref in a batch of ${fmtInt(n)} (one transaction) → ratio ${fmtRatio(fg / g)} (target ≤ 1.0): ${word(fg <= g)}.` +
      (ok(pr) ? ` (Against \`git update-ref --stdin\` committing each ref as its own transaction, ${((pr.ms / n) * 1000).toFixed(0)} µs per ref, the ratio is ${fmtRatio(fg / (pr.ms / n))}.)` : ''))
  } else L.push('- One-ref update: ferrogit or git failed; not judged.')
  if (r.problems.length) {
    L.push('')
    L.push(`**Correctness checks FAILED:** ${r.problems.join('; ')}`)
  }
  L.push('')
  return L.join('\n')
}

const REFS_START = '<!-- refs-suite:start -->'
const REFS_END = '<!-- refs-suite:end -->'

function refsReport(r, m, started, totalMs) {
  const i = r.info
  const L = [REFS_START]
  L.push('## Refs')
  L.push('')
  L.push(`Generated by \`${COMMAND}\` on ${started.toISOString()} (this suite took ${(totalMs / 60000).toFixed(1)} min${REPS === 1 ? ', 1 repetition' : `, medians of ${REPS}`}); ` +
    `ferrogit ${m.ferrogit}; ${m.addon}; node ${m.node}, git ${m.git}, es-git ${m.esGit}, isomorphic-git ${m.isoGit}; nproc ${m.nproc}; ` +
    `load average at start ${m.loadStart}, at end ${m.loadEnd}` +
    (Number(m.loadStart.split(' ')[0]) > 1.5 ? ' — other work was running on the machine; expect noise.' : '.'))
  L.push('')
  L.push(`Fixture: \`make-repo refs\` at \`${i.path}\`${i.built ? ` (built for this run in ${(i.buildMs / 1000).toFixed(0)} s)` : ''}: ${fmtInt(i.count)} refs ` +
    `(${fmtInt(i.heads)} under refs/heads, ${fmtInt(i.tags)} under refs/tags, ${fmtInt(i.remotes)} under refs/remotes), ${fmtInt(i.packed)} packed ` +
    `(packed-refs ${(i.packedRefsBytes / 2 ** 20).toFixed(1)} MiB, with peeled lines), ${fmtInt(i.loose)} loose files (${fmtInt(i.looseAndPacked)} of them overriding a packed ref), ` +
    `${i.symbolic} symbolic refs, reflogs, and a linked worktree${i.worktree ? ` at \`${i.worktree}\`` : ''}.`)
  L.push('')
  L.push(refsTargets(r))
  L.push('### Results')
  L.push('')
  L.push(refsTables(r))
  L.push('### Method (refs)')
  L.push('')
  L.push(...[
    '- As for objects: every measurement is one fresh process, run alone; repetitions round-robin over the contenders; medians shown. Node contenders are ' +
      'timed from opening the repository (module loading and reading the name list not timed) to the end of the work; git from spawn to exit with stdout on ' +
      '/dev/null, under `/usr/bin/time` for peak RSS. Peak RSS of a Node contender is the whole Node process. ferrogit is loaded from a copy of the addon ' +
      'and its JS wrapper taken when the run started (a rebuild in the project meanwhile cannot mix builds).',
    '- Checks (untimed): `git for-each-ref --format=\'%(objectname) %(refname) %(symref)\'` is the reference answer. ferrogit and es-git listings must have ' +
      'the same names in the same (sorted) set and the same oid for every direct ref; isomorphic-git\'s distinct names must match. Resolved oids are hashed ' +
      'and compared with for-each-ref\'s (symbolic refs resolve to their final target; annotated tags to the tag object); `git rev-parse` and ' +
      '`git cat-file --batch-check` outputs are checked the same way in an untimed run. After each update run, for-each-ref on the copy must show every ' +
      'updated ref at its new oid and every other ref unchanged; the "reflogged" count is the refs whose reflog ends with an `old new` entry.',
    '- List: ferrogit `listSync()` / `await list()` (default prefix `refs/`), touching every ref\'s name and oid. es-git 0.6.0 has no general reference ' +
      'iterator, so it lists `branches()` (local and remote; names only), looks up each branch with `findReference(name).target()` for its oid, and ' +
      'lists tags with `tagForeach` (oid and name). isomorphic-git: `listRefs` of refs/heads, refs/tags and refs/remotes (every namespace in the fixture), ' +
      'names only — an oid per ref would need a `resolveRef` each, which re-reads packed-refs (see resolve).',
    `- Resolve: the same ${fmtInt(r.total.resolve)} names for everyone. git: \`cat-file --batch-check='%(objectname)'\` with the names on stdin, and ` +
      '`rev-parse` with all of them as arguments (one process; rev-parse also checks each for ambiguity, as `core.warnAmbiguousRefs` is on by default). ' +
      'ferrogit `resolveSync(name).oid` per name; es-git `getReference(name).resolve().target()` per name. isomorphic-git `resolveRef` reads and parses ' +
      `packed-refs on every call, so it resolves a fixed sample (the first ${REFS_ISO_RESOLVE_SAMPLE} of the seeded list) and the total is extrapolated ` +
      'as first call + per-name time × (10,000 − 1), marked "~".',
    `- Update: the same ${fmtInt(r.total.update)} \`(name, new, old)\` triples for everyone, each run on the same state of the fixture: ` +
      'a working copy made once with `cp -a` (a full copy per run takes most of a minute here because of the 70,000 reflog files), in which each ' +
      'updated ref\'s loose file and reflog and `packed-refs` are put back as in the fixture before every run (untimed; the copy is then checked ref by ref, ' +
      'and `sync` writes everything back, so that no run pays for writing back the restore or an earlier run\'s files). ' +
      'git: `update-ref --stdin` with one `update NAME NEW OLD` line per ref (without `start`/`commit`, git runs the whole input as ONE transaction); ' +
      'the same with `start` / `update` / `commit` around each line (one transaction per ref, one process); and, for reference, separate ' +
      `\`git update-ref NAME NEW OLD\` processes: ${REFS_PROC_SAMPLE} of them, run one after another from the harness, times ×${REFS_UPDATES / REFS_PROC_SAMPLE} ` +
      '(extrapolated; no RSS). ferrogit: `updateSync(name, new, { expectedOld: old })` per ref, each its own transaction. es-git has no reference update ' +
      'with an expected old value: `createBranch(shortName, commit, { force: true })` (the two commits are looked up once). isomorphic-git: ' +
      '`writeRef({ force: true })`, which neither checks the old value nor writes a reflog. No reflog message is given anywhere.',
  ])
  L.push('')
  L.push(REFS_END)
  L.push('')
  return L.join('\n')
}

/** Existing file text without the block between `start` and `end` (and that block, if any). */
function splitBlock(text, start, end) {
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  if (a < 0 || b < a) return { rest: text, block: null }
  const stop = b + end.length
  return { rest: text.slice(0, a).trimEnd() + '\n' + text.slice(stop).replace(/^\s*\n/, ''), block: text.slice(a, stop) + '\n' }
}

// ================================================================ history suite
// On `make-repo medium`: walk the whole history (with and without a
// commit-graph), list HEAD's files, and read 1,000 (revision, path) blobs, against
// git log / rev-list, ls-tree -r and cat-file --batch, es-git and isomorphic-git.
const HIST_REPO = opt('--history-repo') ?? (QUICK ? 'small' : 'medium')
const HIST_READS = 1_000
const SEED_HIST_READ = 0x4157
const HIST_ISO_BUDGET_MS = 60_000 // above this (estimated), isomorphic-git runs a sample
const HIST_ISO_LOG_CALIBRATE = 1_000 // commits logged to estimate a full isomorphic-git log
const HIST_ISO_LOG_SAMPLE = 5_000
const HIST_ISO_READ_CALIBRATE = 50
const HIST_ISO_READ_SAMPLE = 200
const HIST_LOG_FORMAT = '--format=%H%x00%an%x00%at%x00%s'
const HIST_START = '<!-- history-suite:start -->'
const HIST_END = '<!-- history-suite:end -->'

/** Where the fixture's commit-graph came from: present? written with the pack (by the build's git gc) or later? */
function commitGraphInfo(repo) {
  const file = join(repo, 'objects', 'info', 'commit-graph')
  const chain = join(repo, 'objects', 'info', 'commit-graphs')
  const packDir = join(repo, 'objects', 'pack')
  const packs = existsSync(packDir) ? readdirSync(packDir).filter((f) => f.endsWith('.pack')) : []
  const packMtime = packs.length ? Math.max(...packs.map((f) => statSync(join(packDir, f)).mtimeMs)) : null
  const info = { file: existsSync(file), chain: existsSync(chain), bytes: null, mtime: null, packMtime, afterPackS: null, verified: null }
  if (info.file) {
    const st = statSync(file)
    info.bytes = st.size
    info.mtime = st.mtime.toISOString()
    if (packMtime != null) info.afterPackS = (st.mtimeMs - packMtime) / 1000
    try {
      sh('git', ['--git-dir=' + repo, 'commit-graph', 'verify'], { env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
      info.verified = true
    } catch { info.verified = false }
  }
  info.headDate = new Date(Number(sh('git', ['--git-dir=' + repo, 'log', '-1', '--format=%ct', 'HEAD'], { env: gitEnv() })) * 1000).toISOString()
  return info
}

/** A hardlinked copy of the fixture (`cp -al`) without its commit-graph, remade every run. */
function noCommitGraphCopy(repo) {
  const dest = join(CACHE, 'work', `${HIST_REPO}-no-commit-graph`)
  execFileSync('rm', ['-rf', dest])
  mkdirSync(dirname(dest), { recursive: true })
  execFileSync('cp', ['-al', repo, dest])
  // unlink only: the fixture's own files are untouched
  rmSync(join(dest, 'objects', 'info', 'commit-graph'), { force: true })
  rmSync(join(dest, 'objects', 'info', 'commit-graphs'), { recursive: true, force: true })
  return dest
}

/**
 * 1,000 seeded random (commit, path) pairs, the path a blob that exists in that
 * commit, and the blob git finds there; cached in the work directory by HEAD and seed.
 */
async function readPairs(repo, revList, work) {
  const file = join(work, `${HIST_REPO}.readpath-${revList[0].slice(0, 12)}-${SEED_HIST_READ.toString(16)}-${HIST_READS}.json`)
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'))
  log(`choosing ${HIST_READS} (commit, path) pairs with git ls-tree (once; cached in ${file}) ...`)
  const commits = seededPick(revList, HIST_READS, SEED_HIST_READ)
  const rnd = mulberry32(SEED_HIST_READ ^ 0x9e3779b9)
  const picks = commits.map(() => rnd()) // drawn up front, so the order the trees are listed in does not matter
  const out = new Array(commits.length)
  let next = 0
  const worker = async () => {
    while (next < commits.length) {
      const i = next++
      const r = await runProcess('git', ['--git-dir=' + repo, 'ls-tree', '-r', '-z', commits[i]], { collectStdout: true })
      const blobs = r.out.split('\0').filter(Boolean).map((l) => {
        const tab = l.indexOf('\t')
        const [mode, type, oid] = l.slice(0, tab).split(' ')
        return { mode, type, oid, path: l.slice(tab + 1) }
      }).filter((e) => e.type === 'blob')
      const e = blobs[Math.floor(picks[i] * blobs.length)]
      out[i] = { commit: commits[i], path: e.path, oid: e.oid }
    }
  }
  await Promise.all([worker(), worker()])
  const sizes = sh('git', ['--git-dir=' + repo, 'cat-file', '--batch-check=%(objectname) %(objectsize)'],
    { env: gitEnv(), input: out.map((p) => p.oid).join('\n') + '\n' }).split('\n')
  sizes.forEach((l, i) => { out[i].size = Number(l.split(' ')[1]) })
  writeFileSync(file, JSON.stringify(out))
  return out
}

/** Round-robin repetitions over `list` (one process at a time), filling `slots[id]`; a failure stops that contender. */
async function roundRobin(tag, list, slots, problems, loads) {
  for (const c of list) slots[c.id] = { label: c.label, sample: c.sample ?? null, runs: [], checks: [], error: null }
  for (let rep = 0; rep < REPS; rep++) {
    for (const c of list) {
      const slot = slots[c.id]
      if (slot.error) continue
      log(`${tag} ${c.id} rep ${rep + 1}/${REPS} ...`)
      loads.push(os.loadavg()[0])
      try {
        const r = await c.run()
        slot.runs.push(r)
        slot.checks.push(c.check(r))
        log(`  ${fmtMs(r.ms)} ms, peak RSS ${fmtMiB(r.maxRssKiB)} MiB; ${slot.checks.at(-1)}`)
      } catch (e) {
        slot.error = String(e.message || e).split('\n')[0].slice(0, 300)
        problems.push(`${tag} ${c.id}: ${slot.error}`)
        log(`  FAILED: ${slot.error}`)
      }
    }
  }
}

async function benchHistory(fx) {
  const repo = fx.path
  const work = join(CACHE, 'work')
  mkdirSync(work, { recursive: true })
  const problems = []
  const loads = []

  // 1. git's answers (untimed)
  const graph = commitGraphInfo(repo)
  const bare = noCommitGraphCopy(repo)
  const revList = sh('git', ['--git-dir=' + repo, 'rev-list', 'HEAD'], { env: gitEnv() }).split('\n')
  const revListFile = join(work, `${HIST_REPO}.rev-list`)
  writeFileSync(revListFile, revList.join('\n') + '\n')
  const logLines = sh('git', ['--git-dir=' + repo, 'log', HIST_LOG_FORMAT, 'HEAD'], { env: gitEnv() }).split('\n')
  if (sha1(logLines.map((l) => l.slice(0, 40))) !== sha1(revList)) problems.push('git log\'s %H sequence differs from git rev-list')
  const bareRevList = sh('git', ['--git-dir=' + bare, 'rev-list', 'HEAD'], { env: gitEnv() }).split('\n')
  if (sha1(bareRevList) !== sha1(revList)) problems.push('git rev-list on the copy without a commit-graph differs from the fixture\'s')
  const bareLog = sh('git', ['--git-dir=' + bare, 'log', HIST_LOG_FORMAT, 'HEAD'], { env: gitEnv() }).split('\n')
  if (sha1(bareLog) !== sha1(logLines)) problems.push('git log on the copy without a commit-graph differs from the fixture\'s')
  const expectWalk = { count: revList.length, oidsSha1: sha1(revList), fieldsSha1: sha1(logLines) }
  const merges = Number(sh('git', ['--git-dir=' + repo, 'rev-list', '--merges', '--count', 'HEAD'], { env: gitEnv() }))
  const lsLines = sh('git', ['--git-dir=' + repo, 'ls-tree', '-r', '-z', 'HEAD'], { env: gitEnv() }).split('\0').filter(Boolean)
  const expectLs = { count: lsLines.length, entriesSha1: sha1(lsLines) }
  const lsTypes = { blob: 0, commit: 0 }
  for (const l of lsLines) lsTypes[l.split(' ')[1]]++
  const pairs = await readPairs(repo, revList, work)
  const pairsFile = join(work, `${HIST_REPO}.readpath.pairs.json`)
  writeFileSync(pairsFile, JSON.stringify(pairs.map((p) => [p.commit, p.path])))
  const catFileIn = join(work, `${HIST_REPO}.readpath.cat-file-input`)
  writeFileSync(catFileIn, pairs.map((p) => `${p.commit}:${p.path}\n`).join(''))
  const catCheck = sh('git', ['--git-dir=' + repo, 'cat-file', '--batch-check=%(objectname)'], { env: gitEnv(), input: readFileSync(catFileIn, 'utf8') }).split('\n')
  if (sha1(catCheck) !== sha1(pairs.map((p) => p.oid))) problems.push('git cat-file resolves the rev:path pairs differently from ls-tree')
  const expectRead = { count: pairs.length, oidsSha1: sha1(pairs.map((p) => p.oid)), bytes: pairs.reduce((a, p) => a + p.size, 0) }
  const readMix = { commits: new Set(pairs.map((p) => p.commit)).size, paths: new Set(pairs.map((p) => p.path)).size, maxSize: Math.max(...pairs.map((p) => p.size)) }
  log(`history on ${HIST_REPO}: ${fmtInt(revList.length)} commits (${merges} merges), ${fmtInt(lsLines.length)} files at HEAD, ` +
    `commit-graph ${graph.file ? 'present' : 'absent'}; ${fmtInt(pairs.length)} readPath pairs (${(expectRead.bytes / 2 ** 20).toFixed(1)} MiB)`)

  // 2. isomorphic-git: the whole log and 1,000 reads, or samples when estimated over the budget
  const iso = { log: { depth: null, estimateMs: null }, read: { n: pairs.length, file: pairsFile, estimateMs: null } }
  if (revList.length > HIST_ISO_LOG_CALIBRATE) {
    const r = await runChild({ contender: 'isomorphic-git', task: 'hist-log', repo, depth: HIST_ISO_LOG_CALIBRATE })
    iso.log.estimateMs = r.firstMs + ((r.ms - r.firstMs) / HIST_ISO_LOG_CALIBRATE) * revList.length
    log(`isomorphic-git log calibration (${HIST_ISO_LOG_CALIBRATE} commits): whole history estimated ${fmtMs(iso.log.estimateMs)} ms`)
    if (iso.log.estimateMs > HIST_ISO_BUDGET_MS) iso.log.depth = Math.min(HIST_ISO_LOG_SAMPLE, revList.length)
  }
  {
    const calFile = join(work, `${HIST_REPO}.readpath.iso-calibrate.json`)
    const cal = pairs.slice(0, HIST_ISO_READ_CALIBRATE) // pairs are in seeded random order already
    writeFileSync(calFile, JSON.stringify(cal.map((p) => [p.commit, p.path])))
    const r = await runChild({ contender: 'isomorphic-git', task: 'hist-read', repo, pairsFile: calFile })
    iso.read.estimateMs = r.firstMs + ((r.ms - r.firstMs) / (cal.length - 1)) * (pairs.length - 1)
    log(`isomorphic-git readBlob calibration (${cal.length} reads): ${fmtInt(pairs.length)} estimated ${fmtMs(iso.read.estimateMs)} ms`)
    if (iso.read.estimateMs > HIST_ISO_BUDGET_MS) {
      iso.read.n = HIST_ISO_READ_SAMPLE
      iso.read.file = join(work, `${HIST_REPO}.readpath.iso-sample.json`)
      writeFileSync(iso.read.file, JSON.stringify(pairs.slice(0, HIST_ISO_READ_SAMPLE).map((p) => [p.commit, p.path])))
    }
  }

  // 3. checks of one run (untimed: the child digests after its clock stops)
  const checkWalk = (label, r, depth = null) => {
    const n = depth ?? expectWalk.count
    const bad = []
    if (r.count !== n) bad.push(`${fmtInt(r.count)} commits, rev-list has ${fmtInt(n)}`)
    if (r.firstDiff !== -1) bad.push(`order differs from rev-list from commit #${r.firstDiff}`)
    else if (depth == null && r.fieldsSha1 !== expectWalk.fieldsSha1) bad.push('author/date/summary differ from git log\'s')
    for (const b of bad) problems.push(`${label}: ${b}`)
    return bad.length ? `✗ ${bad.join('; ')}` : `✓ ${fmtInt(r.count)} commits in rev-list order${depth == null ? ', fields as git log' : ' (first ones)'}`
  }
  const checkLs = (label, r) => {
    if (r.count === expectLs.count && r.entriesSha1 === expectLs.entriesSha1) return `✓ ${fmtInt(r.count)} entries as ls-tree -r`
    problems.push(`${label}: listing differs from ls-tree -r (${r.count} entries)`)
    return `✗ ${fmtInt(r.count)} entries, differ from ls-tree -r`
  }
  const checkRead = (label, r, n = pairs.length) => {
    const want = pairs.slice(0, n)
    if (r.count === n && r.oidsSha1 === sha1(want.map((p) => p.oid)) && r.bytes === want.reduce((a, p) => a + p.size, 0)) return `✓ ${fmtInt(n)} blob ids and sizes`
    problems.push(`${label}: blob ids or sizes differ from git's`)
    return '✗ blob ids or sizes differ from git\'s'
  }
  const untimed = () => '✓ (untimed run)'

  // 4. the measurements: both walks in one round-robin (so load drifts hit both alike)
  const walkers = (dir, tag) => [
    { id: `git-log${tag}`, label: `git log ${HIST_LOG_FORMAT} > /dev/null`, run: () => runGit(dir, ['log', HIST_LOG_FORMAT]), check: untimed },
    { id: `git-rev-list${tag}`, label: 'git rev-list HEAD > /dev/null', run: () => runGit(dir, ['rev-list', 'HEAD']), check: untimed },
    { id: `ferrogit${tag}`, label: 'ferrogit for (const c of repo.logSync())', run: () => runChild({ contender: 'ferrogit', task: 'hist-log', repo: dir, expectFile: revListFile }), check: (r) => checkWalk(`ferrogit logSync${tag}`, r) },
    { id: `ferrogit-async${tag}`, label: 'ferrogit for await (const c of repo.log())', run: () => runChild({ contender: 'ferrogit', task: 'hist-log-async', repo: dir, expectFile: revListFile }), check: (r) => checkWalk(`ferrogit log${tag}`, r) },
    { id: `es-git${tag}`, label: 'es-git revwalk().pushHead() + getCommit(oid): author(), summary()', run: () => runChild({ contender: 'es-git', task: 'hist-log', repo: dir, expectFile: revListFile }), check: (r) => checkWalk(`es-git${tag}`, r) },
    {
      id: `isomorphic-git${tag}`,
      sample: iso.log.depth,
      label: iso.log.depth ? `isomorphic-git log({ depth: ${fmtInt(iso.log.depth)} }) after a depth-1 log` : 'isomorphic-git log() (the whole history as one array)',
      run: () => runChild({ contender: 'isomorphic-git', task: 'hist-log', repo: dir, expectFile: revListFile, depth: iso.log.depth }),
      check: (r) => checkWalk(`isomorphic-git log${tag}`, r, iso.log.depth),
    },
  ]
  const WALK = [...walkers(repo, ''), ...walkers(bare, ':nograph')]
  const LS = [
    { id: 'git', label: 'git ls-tree -r HEAD > /dev/null', run: () => runGit(repo, ['ls-tree', '-r', 'HEAD']), check: untimed },
    { id: 'ferrogit', label: 'ferrogit repo.listFilesSync(\'HEAD\')', run: () => runChild({ contender: 'ferrogit', task: 'hist-ls', repo }), check: (r) => checkLs('ferrogit listFilesSync', r) },
    { id: 'ferrogit-async', label: 'ferrogit await repo.listFiles(\'HEAD\')', run: () => runChild({ contender: 'ferrogit', task: 'hist-ls-async', repo }), check: (r) => checkLs('ferrogit listFiles', r) },
    { id: 'es-git', label: 'es-git HEAD tree, then getTree(id) per subtree, iter() each', run: () => runChild({ contender: 'es-git', task: 'hist-ls', repo }), check: (r) => checkLs('es-git', r) },
    { id: 'isomorphic-git', label: 'isomorphic-git readTree per tree, from HEAD', run: () => runChild({ contender: 'isomorphic-git', task: 'hist-ls', repo }), check: (r) => checkLs('isomorphic-git', r) },
  ]
  const READ = [
    { id: 'git', label: 'git cat-file --batch < the 1,000 `rev:path` lines > /dev/null', run: () => runGit(repo, ['cat-file', '--batch'], { stdinFile: catFileIn }), check: untimed },
    { id: 'ferrogit', label: 'ferrogit repo.readPathSync(rev, path) per pair', run: () => runChild({ contender: 'ferrogit', task: 'hist-read', repo, pairsFile }), check: (r) => checkRead('ferrogit readPathSync', r) },
    { id: 'ferrogit-async', label: 'ferrogit Promise.all(pairs.map(p => repo.readPath(rev, path)))', run: () => runChild({ contender: 'ferrogit', task: 'hist-read-async', repo, pairsFile }), check: (r) => checkRead('ferrogit readPath', r) },
    { id: 'es-git', label: 'es-git getCommit(rev).tree().getPath(path), toObject(repo).peelToBlob()', run: () => runChild({ contender: 'es-git', task: 'hist-read', repo, pairsFile }), check: (r) => checkRead('es-git', r) },
    {
      id: 'isomorphic-git',
      sample: iso.read.n < pairs.length ? iso.read.n : null,
      label: iso.read.n < pairs.length ? `isomorphic-git await readBlob({ oid: rev, filepath }), the first ${iso.read.n} pairs` : 'isomorphic-git await readBlob({ oid: rev, filepath }) per pair',
      run: () => runChild({ contender: 'isomorphic-git', task: 'hist-read', repo, pairsFile: iso.read.file }),
      check: (r) => checkRead('isomorphic-git', r, iso.read.n),
    },
  ]
  const walkSlots = {}
  const results = { walk: {}, nograph: {}, ls: {}, read: {} }
  await roundRobin('history (walk)', WALK, walkSlots, problems, loads)
  for (const [id, s] of Object.entries(walkSlots)) {
    if (id.endsWith(':nograph')) results.nograph[id.slice(0, -':nograph'.length)] = s
    else results.walk[id] = s
  }
  await roundRobin('history (listFiles)', LS, results.ls, problems, loads)
  await roundRobin('history (readPath)', READ, results.read, problems, loads)
  for (const p of problems) log(`CHECK FAILED history: ${p}`)

  // 5. medians; samples are extrapolated
  const total = { walk: revList.length, nograph: revList.length, ls: lsLines.length, read: pairs.length }
  for (const [key, slots] of Object.entries(results)) {
    for (const [id, slot] of Object.entries(slots)) {
      const msOf = (r) => {
        if (!slot.sample) return r.ms
        if (key === 'read') return r.firstMs + ((r.ms - r.firstMs) / (slot.sample - 1)) * (total.read - 1)
        return r.firstMs + ((r.ms - r.firstMs) / slot.sample) * total[key]
      }
      slots[id] = {
        ...slot,
        ms: median(slot.runs.map(msOf)),
        sampleMs: slot.sample ? median(slot.runs.map((r) => r.ms)) : null,
        firstMs: slot.sample ? median(slot.runs.map((r) => r.firstMs)) : null,
        rss: median(slot.runs.map((r) => r.maxRssKiB)),
        check: [...new Set(slot.checks)].join(' / '),
      }
    }
  }
  const info = {
    name: HIST_REPO, path: repo, copy: bare, built: fx.built, buildMs: fx.buildMs,
    commits: revList.length, merges, files: lsLines.length, lsTypes, graph,
  }
  return { info, iso, readMix, expectRead, total, results, problems, loadMax: loads.length ? Math.max(...loads) : null }
}

function historyTables(r) {
  const L = []
  const one = (key, title, base, { perItem = null } = {}) => {
    const slots = r.results[key]
    const fgMs = slots.ferrogit?.ms
    L.push(title)
    L.push('')
    const bases = base.map(([id, name]) => ({ ms: slots[id]?.ms, name }))
    L.push(`| contender | median ms | runs (ms) |${perItem ? ` ${perItem} |` : ''}${bases.map((b) => ` vs ${b.name} |`).join('')} vs ferrogit | peak RSS MiB | check |`)
    L.push(`|---|---:|---|${perItem ? '---:|' : ''}${bases.map(() => '---:|').join('')}---:|---:|---|`)
    for (const s of Object.values(slots)) {
      if (s.error) { L.push(`| ${s.label} | failed: ${s.error.replace(/\|/g, '\\|')} | |${perItem ? ' |' : ''}${bases.map(() => ' |').join('')} | | |`); continue }
      const x = s.sample ? '~' : ''
      const runs = (s.sample ? 'sample: ' : '') + s.runs.map((q) => fmtMs(q.ms)).join(', ')
      const per = perItem ? ` ${x}${fmtMs(s.ms * 1000 / r.total[key])} |` : ''
      L.push(`| ${s.label}${s.sample ? ' **(extrapolated)**' : ''} | ${x}${fmtMs(s.ms)} | ${runs} |${per}` +
        `${bases.map((b) => ` ${x}${fmtRatio(s.ms / b.ms)} |`).join('')} ${x}${fmtRatio(s.ms / fgMs)} | ` +
        `${fmtMiB(s.rss)}${s.sample && s.rss != null ? ' (sample run)' : ''} | ${s.check.replace(/\|/g, '\\|')} |`)
    }
    L.push('')
  }
  const i = r.info
  const walkBase = [['git-log', 'git log'], ['git-rev-list', 'rev-list']]
  one('walk', `**Walk the whole history, with the commit-graph** (${fmtInt(i.commits)} commits, \`${i.path}\`). "vs git log" = contender ÷ \`git log ${HIST_LOG_FORMAT}\`; "vs rev-list" = contender ÷ \`git rev-list HEAD\`; "vs ferrogit" = contender ÷ ferrogit \`logSync\`.`, walkBase, { perItem: 'µs per commit' })
  one('nograph', `**Walk the whole history, without a commit-graph** (the same repository as a hardlinked copy without \`objects/info/commit-graph\`, \`${i.copy}\`).`, walkBase, { perItem: 'µs per commit' })
  one('ls', `**List every file of HEAD** (${fmtInt(i.files)} entries: ${fmtInt(i.lsTypes.blob)} blobs${i.lsTypes.commit ? `, ${i.lsTypes.commit} gitlinks` : ''}). "vs git" = contender ÷ \`git ls-tree -r HEAD\`.`, [['git', 'git']])
  const m = r.readMix
  one('read', `**${fmtInt(r.total.read)} readPath calls at random revisions** (seed 0x${SEED_HIST_READ.toString(16)}: ${fmtInt(m.commits)} distinct commits, ${fmtInt(m.paths)} distinct paths, ` +
    `${(r.expectRead.bytes / 2 ** 20).toFixed(2)} MiB of blobs, the largest ${fmtInt(m.maxSize)} bytes). "vs git" = contender ÷ \`git cat-file --batch\` with the \`rev:path\` lines on stdin.`, [['git', 'git']], { perItem: 'µs per read' })
  const notes = []
  const il = r.results.walk['isomorphic-git']
  if (il?.sample && !il.error) {
    notes.push(`isomorphic-git log: a full log was estimated at ${fmtMs(r.iso.log.estimateMs)} ms (> ${HIST_ISO_BUDGET_MS / 1000} s), so each run logs depth 1 (loads the pack; median ` +
      `${fmtMs(il.firstMs)} ms), then depth ${fmtInt(il.sample)} with the same cache; total = that first call + per-commit time × ${fmtInt(r.total.walk)}. An estimate, not a measurement.`)
  }
  const ir = r.results.read['isomorphic-git']
  if (ir?.sample && !ir.error) {
    notes.push(`isomorphic-git readBlob: ${fmtInt(r.total.read)} reads were estimated at ${fmtMs(r.iso.read.estimateMs)} ms (> ${HIST_ISO_BUDGET_MS / 1000} s), so it read the first ` +
      `${ir.sample} pairs (median ${fmtMs(ir.sampleMs)} ms, of which ${fmtMs(ir.firstMs)} ms the first read); total = first + per-read × (${fmtInt(r.total.read)} − 1).`)
  }
  if (notes.length) L.push(...notes.map((n) => `Extrapolated: ${n}`), '')
  return L.join('\n')
}

function historyTargets(r) {
  const L = []
  L.push('### Targets')
  L.push('')
  L.push('From the issue: "History walk and listFiles no slower than the git CLI in the same run (ratio ≤ 1.0, commit-graph or not), and at least 3× faster ' +
    'than es-git." Judged on the medians above (ferrogit\'s sync API, open included; git spawn to exit). For the walk, two git commands: `git log` with the ' +
    'same fields is the like-for-like one and the one judged; `git rev-list` reads no author, date or message (with a commit-graph it opens no commit ' +
    'object at all, while the walk here must inflate every one), so its ratio is shown for reference, not judged.')
  L.push('')
  const word = (ok) => (ok ? '**met**' : '**NOT met**')
  const ok = (...s) => s.every((x) => x && !x.error && x.ms != null)
  for (const [key, what] of [['walk', 'with the commit-graph'], ['nograph', 'without a commit-graph']]) {
    const s = r.results[key]
    if (!ok(s.ferrogit, s['git-log'], s['git-rev-list'])) { L.push(`- History walk ${what}: ferrogit or git failed; not judged.`); continue }
    const a = s.ferrogit.ms / s['git-log'].ms
    const b = s.ferrogit.ms / s['git-rev-list'].ms
    const es = ok(s['es-git']) ? s['es-git'].ms / s.ferrogit.ms : null
    L.push(`- History walk ${what}: ferrogit \`logSync\` ${fmtMs(s.ferrogit.ms)} ms vs \`git log\` ${fmtMs(s['git-log'].ms)} ms → ratio ${fmtRatio(a)}: ${word(a <= 1)}; ` +
      `vs \`git rev-list\` ${fmtMs(s['git-rev-list'].ms)} ms → ratio ${fmtRatio(b)} (reference: not the same job). ` +
      (es != null ? `es-git ${fmtMs(s['es-git'].ms)} ms ÷ ferrogit = ${fmtRatio(es)}× (target ≥ 3×): ${word(es >= 3)}.` : 'es-git failed; not judged.') +
      (ok(s['ferrogit-async']) ? ` (Async \`log()\`: ${fmtMs(s['ferrogit-async'].ms)} ms, ratio ${fmtRatio(s['ferrogit-async'].ms / s['git-log'].ms)} vs git log.)` : ''))
  }
  const ls = r.results.ls
  if (ok(ls.ferrogit, ls.git)) {
    const a = ls.ferrogit.ms / ls.git.ms
    const es = ok(ls['es-git']) ? ls['es-git'].ms / ls.ferrogit.ms : null
    L.push(`- listFiles: ferrogit \`listFilesSync('HEAD')\` ${fmtMs(ls.ferrogit.ms)} ms vs \`git ls-tree -r HEAD\` ${fmtMs(ls.git.ms)} ms → ratio ${fmtRatio(a)} (target ≤ 1.0): ${word(a <= 1)}. ` +
      (es != null ? `es-git ${fmtMs(ls['es-git'].ms)} ms ÷ ferrogit = ${fmtRatio(es)}× (target ≥ 3×): ${word(es >= 3)}.` : 'es-git failed; not judged.'))
  } else L.push('- listFiles: ferrogit or git failed; not judged.')
  const rd = r.results.read
  if (ok(rd.ferrogit, rd.git)) {
    L.push(`- readPath (no target in the issue; for reference): ferrogit \`readPathSync\` ×${fmtInt(r.total.read)} ${fmtMs(rd.ferrogit.ms)} ms vs \`git cat-file --batch\` ${fmtMs(rd.git.ms)} ms → ` +
      `ratio ${fmtRatio(rd.ferrogit.ms / rd.git.ms)}` + (ok(rd['es-git']) ? `; es-git ${fmtMs(rd['es-git'].ms)} ms ÷ ferrogit = ${fmtRatio(rd['es-git'].ms / rd.ferrogit.ms)}×.` : '.'))
  }
  if (r.problems.length) {
    L.push('')
    L.push(`**Correctness checks FAILED:** ${r.problems.join('; ')}`)
  }
  L.push('')
  return L.join('\n')
}

function historyReport(r, m, started, totalMs) {
  const i = r.info
  const g = i.graph
  const L = [HIST_START]
  L.push('## History')
  L.push('')
  const load0 = Number(r.loadStart.split(' ')[0])
  L.push(`Generated by \`${COMMAND}\` on ${started.toISOString()} (this suite took ${(totalMs / 60000).toFixed(1)} min${REPS === 1 ? ', 1 repetition' : `, medians of ${REPS}`}); ` +
    `ferrogit ${m.ferrogit}; ${m.addon}; node ${m.node}, git ${m.git}, es-git ${m.esGit}, isomorphic-git ${m.isoGit}; nproc ${m.nproc}; ` +
    `load average at start ${r.loadStart}, at end ${r.loadEnd}, 1-minute figure at most ${r.loadMax == null ? '—' : r.loadMax.toFixed(2)} before a measurement` +
    (load0 > 1.5 || (r.loadMax ?? 0) > 2 ? ' — other work was running on the machine; expect noise.' : '.'))
  L.push('')
  const graphText = !g.file
    ? (g.chain ? 'has a split commit-graph chain (`objects/info/commit-graphs/`) but no single file' : 'has **no** commit-graph')
    : `has a commit-graph: \`objects/info/commit-graph\` (${(g.bytes / 2 ** 20).toFixed(1)} MiB${g.verified ? ', `git commit-graph verify` passes' : g.verified === false ? ', `git commit-graph verify` FAILS' : ''}), ` +
      `modified ${g.mtime}, ` + (g.afterPackS == null ? 'with no pack to compare it with.'
        : g.afterPackS >= 0 && g.afterPackS < 60
          ? `${g.afterPackS.toFixed(1)} s after the fixture's pack: it was written by the fixture build itself. make-repo packs with \`git gc\`, which writes a ` +
            'commit-graph by default (`gc.writeCommitGraph` defaults to true, and make-repo runs git with no system or global config), so a fresh ' +
            `\`make-repo ${i.name}\` has one` + (i.name === 'medium' ? ' (checked when this suite was written: a fresh build\'s file was byte for byte this one).' : '.')
          : `${(g.afterPackS / 60).toFixed(0)} min after the fixture's pack: written later, not by the build.`) +
      ` (The commit dates come from make-repo's fixed clock, HEAD's being ${g.headDate.slice(0, 10)}, so they say nothing about when the file was written.)`
  L.push(`Fixture: \`make-repo ${i.name}\` at \`${i.path}\`${i.built ? ` (built for this run in ${(i.buildMs / 1000).toFixed(0)} s)` : ''}: ${fmtInt(i.commits)} commits ` +
    `(${fmtInt(i.merges)} merges), ${fmtInt(i.files)} files at HEAD. It ${graphText} Every walk runs on it and on a hardlinked copy (\`cp -al\`, remade each run) without the commit-graph file.`)
  L.push('')
  L.push(historyTargets(r))
  L.push('### Results')
  L.push('')
  L.push(historyTables(r))
  L.push('### Method (history)')
  L.push('')
  L.push(...[
    '- As for the other suites: every measurement is one fresh process, run alone; repetitions round-robin over the contenders (both walks, with and ' +
      'without the commit-graph, in one round); medians shown. Node contenders are timed from opening the repository (module loading and reading the input ' +
      'files not timed) to the end of the work; git from spawn to exit with stdout on /dev/null, under `/usr/bin/time` for peak RSS. Peak RSS of a Node ' +
      'contender is the whole Node process. ferrogit is loaded from a copy of the addon and `index.js` / `binding.js` taken when the run started, so a ' +
      'rebuild in the project meanwhile cannot mix builds; the 1-minute load average is read before every measurement and its highest value reported above.',
    '- Checks (untimed): `git rev-list HEAD` is the reference order and `git log --format=%H%x00%an%x00%at%x00%s` the reference fields (its `%H` column is ' +
      'checked against rev-list, and both against the same commands on the copy). Each Node walker keeps what it read (oid, author name, author time, ' +
      'summary) in arrays; after the clock stops, its oid sequence must equal rev-list\'s, in order, and the joined fields must equal git log\'s lines. ' +
      'Listings must equal `git ls-tree -r -z HEAD` entry for entry (mode, type, oid, path, in order). Each read must return the blob id that ls-tree ' +
      'shows at that path in that commit, and the bytes must add up to `cat-file --batch-check` sizes; `git cat-file --batch-check` on the same `rev:path` ' +
      'lines is checked the same way.',
    '- Walk: ferrogit `for (const c of repo.logSync())` and `for await (const c of repo.log())` (HEAD, default order), reading `c.oid`, `c.author.name`, ' +
      '`c.author.seconds`, `c.summary`. es-git: `revwalk().pushHead()` with libgit2\'s default sorting, `next()` until null, and `getCommit(oid)` for ' +
      '`author().name`, `author().timestamp` and `summary()`. isomorphic-git: `git.log({ fs, gitdir, ref: \'HEAD\', cache })`, which returns the whole ' +
      'history as one array; it has no summary, so git\'s `%s` rule (first paragraph on one line) is applied to `commit.message` inside the timed region. ' +
      `When ${fmtInt(HIST_ISO_LOG_CALIBRATE)} commits predict more than ${HIST_ISO_BUDGET_MS / 1000} s for the whole history, it logs a sample instead ` +
      '(see "Extrapolated"), marked "~".',
    '- listFiles: ferrogit `listFilesSync(\'HEAD\')` / `await listFiles(\'HEAD\')`, reading every entry\'s `path` and `oid`. es-git has no recursive ' +
      'listing with paths (`Tree.walk` hands its callback the entry without its directory), so HEAD\'s tree is read and every subtree looked up with ' +
      '`getTree(id)` and iterated, depth first. isomorphic-git: `readTree` the same way (`git.walk` over `TREE()` took about as long in a trial but ' +
      'visits in an order other than ls-tree\'s). git: `ls-tree -r HEAD`. Not repeated without the commit-graph: only HEAD\'s commit is read.',
    `- readPath: ${fmtInt(r.total.read)} (commit, path) pairs, chosen untimed with git (seed 0x${SEED_HIST_READ.toString(16)}: distinct random commits of ` +
      'rev-list, and for each a random blob of its `ls-tree -r`), the same for everyone. ferrogit `readPathSync(commit, path)` per pair, touching the ' +
      'blob\'s `size` and `oid`, and `Promise.all` of `readPath` for every pair at once. es-git: `getCommit(commit).tree().getPath(path)`, then ' +
      '`toObject(repo).peelToBlob().size()`. isomorphic-git: `await readBlob({ oid: commit, filepath: path, cache })` in turn. git: `cat-file --batch` ' +
      'with `commit:path` lines on stdin (contents to /dev/null). Not repeated without the commit-graph: no walk is involved.',
  ])
  L.push('')
  L.push(HIST_END)
  L.push('')
  return L.join('\n')
}

// ---------------------------------------------------------------- main
async function main() {
  const started = new Date()
  const t0 = performance.now()
  mkdirSync(CACHE, { recursive: true })
  const objectsRun = SUITE === 'all' || SUITE === 'objects'
  const refsRun = SUITE === 'all' || SUITE === 'refs'
  const historyRun = SUITE === 'all' || SUITE === 'history'
  log(`${COMMAND}: suite ${SUITE}${objectsRun ? `, repos ${REPOS.join(', ')}` : ''}${historyRun ? `, history on ${HIST_REPO}` : ''}, ${REPS} repetition(s), cache ${CACHE}`)
  const m = machine()
  let all = null
  if (objectsRun) {
    all = []
    for (const name of REPOS) {
      const fx = name === 'self' ? selfRepo() : fixture(name)
      const r = await benchRepo(name, fx)
      all.push(r)
      console.log(tables(r))
    }
  }
  let refsRes = null
  const refsStarted = new Date()
  const tRefs = performance.now()
  if (refsRun) {
    refsRes = await benchRefs(refsFixture())
    console.log(refsTables(refsRes))
  }
  const refsMs = performance.now() - tRefs
  let histRes = null
  const histStarted = new Date()
  const tHist = performance.now()
  if (historyRun) {
    const loadStart = loadavg()
    histRes = await benchHistory(fixture(HIST_REPO))
    histRes.loadStart = loadStart
    histRes.loadEnd = loadavg()
    console.log(historyTables(histRes))
  }
  const histMs = performance.now() - tHist
  m.loadEnd = loadavg()
  m.addonEnd = addonId()
  if (m.addonEnd !== m.addon) log(`NOTE: the project's addon was rebuilt during the run (now ${m.addonEnd}); every measurement used the copy taken at the start`)
  const prevText = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '# ferrogit benchmarks\n\n'
  const prevRefs = splitBlock(prevText, REFS_START, REFS_END)
  const prevHist = splitBlock(prevRefs.rest, HIST_START, HIST_END)
  const changed = (block, title) => block.replace(`## ${title}\n`, `## ${title}\n\n${addonChangedNote(m)}\n`)
  let refsBlock = refsRes ? refsReport(refsRes, m, refsStarted, refsMs) : prevRefs.block
  if (refsRes && m.addonEnd !== m.addon) refsBlock = changed(refsBlock, 'Refs')
  let histBlock = histRes ? historyReport(histRes, m, histStarted, histMs) : prevHist.block
  if (histRes && m.addonEnd !== m.addon) histBlock = changed(histBlock, 'History')
  // objects suite run: a fresh report (keeping the previous refs and history
  // blocks of suites not run); otherwise the previous file with the blocks of
  // the suites run replaced
  const body = all ? report(all, m, started, performance.now() - t0) : prevHist.rest
  const md = body.trimEnd() + '\n\n' + (refsBlock ?? '') + (refsBlock && histBlock ? '\n' : '') + (histBlock ?? '')
  writeFileSync(OUT, md.trimEnd() + '\n')
  const tag = QUICK ? 'quick' : 'full'
  if (all) writeFileSync(join(CACHE, `results-${tag}.json`), JSON.stringify({ machine: m, started, reps: REPS, repos: all }, null, 2))
  if (refsRes) writeFileSync(join(CACHE, `results-refs-${tag}.json`), JSON.stringify({ machine: m, started: refsStarted, reps: REPS, refs: refsRes }, null, 2))
  if (histRes) writeFileSync(join(CACHE, `results-history-${tag}.json`), JSON.stringify({ machine: m, started: histStarted, reps: REPS, history: histRes }, null, 2))
  if (all) console.log(targets(all))
  if (refsRes) console.log(refsTargets(refsRes))
  if (histRes) console.log(historyTargets(histRes))
  log(`wrote ${OUT}`)
  if ((all && all.some((r) => r.problems.length)) || (refsRes && refsRes.problems.length) || (histRes && histRes.problems.length)) {
    log('some correctness checks failed (see above)')
    process.exitCode = 1
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
