#!/usr/bin/env node
'use strict'
// ferrogit's command line: a few git plumbing commands whose output matches
// git's byte for byte, built on the library (no git process is spawned).
//
//   ferrogit [-C <path>] log [-n <N>] [--oneline] [<repo>] [<rev>...]
//   ferrogit [-C <path>] cat-file (-p | -t | -s | -e | <type>) <rev>
//   ferrogit [-C <path>] rev-parse <rev>...
//   ferrogit [-C <path>] show-ref [--head] [--branches] [--tags] [-d] [-s[=<n>]] [--abbrev[=<n>]] [-q] [<pattern>...]
//   ferrogit [-C <path>] show-ref --verify [-q] [-d] [-s[=<n>]] [<ref>...]
//   ferrogit [-C <path>] show-ref --exists <ref>
//   ferrogit [-C <path>] for-each-ref [--format=<fmt>] [--sort=<key>]... [--count=<n>] [--exclude=<pattern>]... [<pattern>...]
//   ferrogit [-C <path>] symbolic-ref [-q] [--short] [--no-recurse] <name>
//   ferrogit [-C <path>] symbolic-ref [-m <reason>] <name> <ref> | symbolic-ref -d <name>
//   ferrogit [-C <path>] update-ref [-m <reason>] [--no-deref] (-d <ref> [<old>] | <ref> <new> [<old>] | --stdin [-z])
//   ferrogit [-C <path>] pack-refs [--all] [--no-prune]
const path = require('node:path')
const fs = require('node:fs')
const { Repository, GitError } = require('..')

const USAGE = `usage: ferrogit [-C <path>] <command> [<args>]

commands:
  log [-n <N>] [--oneline] [<repo>] [<rev>...]   one line per commit, as git log --oneline
  cat-file (-p | -t | -s | -e | <type>) <rev>    show an object, as git cat-file
  rev-parse <rev>...                             print object ids, as git rev-parse
  show-ref [--head] [--branches] [--tags] [-d] [-s[=<n>]] [--abbrev[=<n>]] [-q] [<pattern>...]
  show-ref --verify [-q] [-d] [-s[=<n>]] <ref>...
  show-ref --exists <ref>                        list or check refs, as git show-ref
  for-each-ref [--format=<fmt>] [--sort=<key>] [--count=<n>] [<pattern>...]
                                                 list refs, as git for-each-ref
  symbolic-ref [-q] [--short] [--no-recurse] <name>
  symbolic-ref [-m <reason>] <name> <ref>
  symbolic-ref -d <name>                         read, set or delete a symbolic ref, as git symbolic-ref
  update-ref [-m <reason>] [--no-deref] (-d <ref> [<old>] | <ref> <new> [<old>] | --stdin [-z])
                                                 update refs safely, as git update-ref
  pack-refs [--all] [--no-prune]                 pack refs into packed-refs, as git pack-refs
`

/** Thrown to stop a command with an exit status once its messages are written (stdout still flushes). */
class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`)
    this.exitCode = code
  }
}

function die(message, code = 128) {
  process.stderr.write(`fatal: ${message}\n`)
  throw new Exit(code)
}

/** git's `error: ...` then exit 129, as parse-options does for a bad option. */
function usageError(message, usage) {
  process.stderr.write(`error: ${message}\n${usage}`)
  throw new Exit(129)
}

function out(data) {
  process.stdout.write(data)
}

function openRepo(dir) {
  return Repository.discoverSync(dir)
}

function treeText(tree) {
  return tree.entries
    .map((e) => `${e.mode.toString(8).padStart(6, '0')} ${e.type} ${e.oid}\t${e.name}\n`)
    .join('')
}

function log(cwd, args) {
  let limit
  const revs = []
  let repoPath = null
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '-n' || a === '--max-count') limit = Number(args[++i])
    else if (a.startsWith('--max-count=')) limit = Number(a.slice(12))
    else if (/^-\d+$/.test(a)) limit = Number(a.slice(1))
    else if (/^-n\d+$/.test(a)) limit = Number(a.slice(2))
    else if (a === '--oneline') continue
    else if (a.startsWith('-')) die(`unsupported option '${a}'`)
    else if (repoPath === null && revs.length === 0 && isDir(path.resolve(cwd, a))) repoPath = path.resolve(cwd, a)
    else revs.push(a)
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) die('-n needs a non-negative number')
  const repo = openRepo(repoPath ?? cwd)
  const ids = repo.__revList(revs.length ? revs : ['HEAD'], limit)
  let text = ''
  for (const id of ids) {
    const c = repo.getCommitSync(id)
    text += `${repo.__abbrev(id)} ${c.summary}\n`
  }
  out(text)
}

function isDir(p) {
  try {
    return fs.statSync(p).isDirectory()
  } catch {
    return false
  }
}

function catFile(cwd, args) {
  if (args.length !== 2) die('usage: ferrogit cat-file (-p | -t | -s | -e | <type>) <rev>', 129)
  const [mode, rev] = args
  const repo = openRepo(cwd)
  let oid
  try {
    oid = repo.revParseSync(rev)
  } catch (e) {
    if (mode === '-e') process.exit(1)
    if (e instanceof GitError && e.code === 'ERR_INVALID_REVISION') die(`Not a valid object name ${rev}`)
    throw e
  }
  if (mode === '-e') {
    process.exit(repo.hasObject(oid) ? 0 : 1)
  }
  if (mode === '-t' || mode === '-s') {
    const h = repo.objectHeaderSync(oid)
    out(`${mode === '-t' ? h.type : h.size}\n`)
    return
  }
  const obj = repo.readObjectSync(oid)
  if (mode === '-p') {
    out(obj.type === 'tree' ? treeText(obj) : obj.type === 'blob' ? obj.content() : obj.raw())
    return
  }
  if (!['commit', 'tree', 'blob', 'tag'].includes(mode)) die(`invalid object type "${mode}"`)
  // `git cat-file <type> <rev>` peels to the requested type.
  const peeled = mode === obj.type ? obj : repo.readObjectSync(repo.revParseSync(`${oid}^{${mode}}`))
  out(peeled.type === 'blob' ? peeled.content() : peeled.raw())
}

function revParse(cwd, args) {
  const repo = openRepo(cwd)
  out(args.map((a) => `${repo.revParseSync(a)}\n`).join(''))
}

// ---------------------------------------------------------------------------
// Refs commands: show-ref, for-each-ref, symbolic-ref.

/** Lines for stdout, written in one go at the end (also when a command dies part way, as git's stdio does). */
const pending = []
function emit(text) {
  pending.push(text)
}
function flushPending() {
  if (pending.length) {
    // One latin1 string per byte: refnames are converted with `bytes()` below.
    process.stdout.write(Buffer.from(pending.join(''), 'latin1'))
    pending.length = 0
  }
}

const NON_ASCII = /[^\x00-\x7f]/
/** A JS string as its UTF-8 bytes, one latin1 char per byte (identity for ASCII). */
function bytes(s) {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s
}

/** strcmp over UTF-8 bytes (code point order; JS's `<` differs for astral vs. U+E000..U+FFFF). */
function strcmp(a, b) {
  if (a === b) return 0
  if (!NON_ASCII.test(a) && !NON_ASCII.test(b)) return a < b ? -1 : 1
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/**
 * A small parse-options: long options (unique prefixes accepted, `--no-x` for booleans and
 * optional-argument options), `--x=v` / `--x v`, bundled short switches, `--` ending options.
 * `spec` entries: { long, short, kind: 'bool' | 'string' | 'optarg', set(value, negated) }.
 */
function parseOptions(args, spec, usage) {
  const rest = []
  const byShort = new Map(spec.filter((o) => o.short).map((o) => [o.short, o]))
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--') {
      rest.push(...args.slice(i + 1))
      break
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      let name = eq < 0 ? a.slice(2) : a.slice(2, eq)
      const value = eq < 0 ? undefined : a.slice(eq + 1)
      let negated = false
      let opt = spec.find((o) => o.long === name)
      if (!opt && name.startsWith('no-')) {
        opt = spec.find((o) => o.long === name.slice(3) && o.kind !== 'string' && !o.noNegate)
        if (opt) negated = true
      }
      if (!opt) {
        const candidates = spec.filter((o) => o.long.startsWith(name) && !o.hidden)
        if (candidates.length === 1) opt = candidates[0]
        else if (candidates.length > 1) usageError(`ambiguous option: ${name} (could be --${candidates[0].long} or --${candidates[1].long})`, usage)
      }
      if (!opt) usageError(`unknown option \`${name}'`, usage)
      name = opt.long
      if (negated) {
        if (value !== undefined) usageError(`option \`no-${name}' takes no value`, usage)
        opt.set(undefined, true)
      } else if (opt.kind === 'bool') {
        if (value !== undefined) usageError(`option \`${name}' takes no value`, usage)
        opt.set(true, false)
      } else if (opt.kind === 'optarg') {
        opt.set(value, false)
      } else {
        let v = value
        if (v === undefined) {
          if (i + 1 >= args.length) usageError(`option \`${name}' requires a value`, usage)
          v = args[++i]
        }
        opt.set(v, false)
      }
      continue
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const opt = byShort.get(a[k])
        if (!opt) usageError(`unknown switch \`${a[k]}'`, usage)
        if (opt.kind === 'bool') {
          opt.set(true, false)
        } else if (opt.kind === 'optarg') {
          opt.set(k + 1 < a.length ? a.slice(k + 1) : undefined, false)
          break
        } else {
          let v = a.slice(k + 1)
          if (!v) {
            if (i + 1 >= args.length) usageError(`switch \`${a[k]}' requires a value`, usage)
            v = args[++i]
          }
          opt.set(v, false)
          break
        }
      }
      continue
    }
    rest.push(a)
  }
  return rest
}

const SYMREF_MAXDEPTH = 5

/**
 * The direct ref at the end of `ref`'s chain, as git's refs_resolve_ref_unsafe(RESOLVE_REF_READING)
 * finds it: at most SYMREF_MAXDEPTH reads, and an existing value at the end; else null (broken).
 */
function chainEnd(ref) {
  let r = ref
  let reads = 1
  while (r && r.kind === 'symbolic') {
    r = r.target
    if (++reads > SYMREF_MAXDEPTH) return null
  }
  return r && r.kind === 'direct' && r.oid ? r : null
}

/** git's check_refname_format(name, REFNAME_ALLOW_ONELEVEL) === 0. */
function isValidRefname(name) {
  if (name === '' || name === '@' || name.endsWith('.') || name.endsWith('/')) return false
  for (const comp of name.split('/')) {
    if (comp === '' || comp.startsWith('.') || comp.endsWith('.lock')) return false
  }
  if (name.includes('..') || name.includes('@{')) return false
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x20\x7f~^:?*[\\]/.test(name)
}

/** All upper case and '_' (git's refname_is_safe for a name outside refs/). */
const isSafeRootName = (name) => /^[A-Z_]+$/.test(name)
/** Stored in the worktree's own git dir rather than the common dir (git's is_current_worktree_ref). */
const isPerWorktree = (name) =>
  /^[A-Z_-]+$/.test(name) || /^refs\/(worktree|bisect|rewritten)\//.test(name)

/**
 * Look `name` up without following it (git's refs_read_raw_ref): a library Ref, or null when
 * there is no such ref (or the name is not one a ref can have). A symbolic ref whose chain
 * cannot be resolved (a loop, deeper than SYMREF_MAXDEPTH, a corrupt ref further down) is
 * `{ kind: 'symbolic', name, targetName }`: its one link, read with readSymbolicSync.
 * Throws ERR_CORRUPT_REF when `name` itself is not a ref file git can parse.
 */
function readRaw(repo, name) {
  try {
    return repo.refs.getSync(name)
  } catch (e) {
    if (!(e instanceof GitError)) throw e
    if (e.code === 'ERR_INVALID_REF_NAME') return null
    if (e.code === 'ERR_SYMREF_CYCLE' || e.code === 'ERR_CORRUPT_REF') {
      const target = repo.refs.readSymbolicSync(name)
      if (target !== null) return { kind: 'symbolic', name, targetName: target }
    }
    throw e
  }
}

/**
 * Resolve `name` as git's refs_resolve_ref_unsafe does: `{ name, oid, isSymref }` where `name` is
 * the last name of the chain and `oid` null when it does not exist; null when it cannot be
 * resolved at all (a bad name, a loop, a chain deeper than SYMREF_MAXDEPTH).
 * `noRecurse` stops after the first symref (RESOLVE_REF_NO_RECURSE).
 */
function resolveName(repo, name, noRecurse = false) {
  let current = name
  let isSymref = false
  for (let depth = 0; depth < SYMREF_MAXDEPTH; depth++) {
    if (!isValidRefname(current)) return null
    let raw
    try {
      raw = readRaw(repo, current)
    } catch (e) {
      if (e instanceof GitError && e.code === 'ERR_CORRUPT_REF') return null
      throw e
    }
    if (!raw || (raw.kind === 'direct' && !raw.oid)) return { name: current, oid: null, isSymref }
    if (raw.kind === 'direct') return { name: current, oid: raw.oid, isSymref, peeled: raw.peeled ?? null }
    isSymref = true
    const next = raw.targetName ?? raw.target?.name
    if (next === undefined) return null
    current = next
    if (noRecurse) return { name: current, oid: null, isSymref }
  }
  return null
}

const REV_PARSE_RULES = [
  ['', ''],
  ['refs/', ''],
  ['refs/tags/', ''],
  ['refs/heads/', ''],
  ['refs/remotes/', ''],
  ['refs/remotes/', '/HEAD'],
]

/** The short name `refname` has under rev-parse rule `i`, or null when the rule does not fit. */
function ruleShort(refname, i) {
  const [prefix, suffix] = REV_PARSE_RULES[i]
  if (!refname.startsWith(prefix) || !refname.endsWith(suffix) || refname.length < prefix.length + suffix.length) return null
  return refname.slice(prefix.length, refname.length - suffix.length)
}

/**
 * Which ref names exist (resolve to an object id), for git's shortening. `exists(name)` asks
 * about one name; once many are asked (or `listing`, every ref under refs/, is at hand) an index
 * answers instead: short name -> bit mask of the rules 1..5 under which it names an existing ref.
 */
function refExistence(repo, listing = null) {
  let index = null
  let asked = 0
  const fill = (refs) => {
    index = new Map()
    for (const r of refs) {
      if (!chainEnd(r)) continue
      for (let k = 1; k < REV_PARSE_RULES.length; k++) {
        const short = ruleShort(r.name, k)
        if (short !== null) index.set(short, (index.get(short) ?? 0) | (1 << k))
      }
    }
  }
  let rootEntries = null
  let dirs = null
  /** Rule 0: a file in the (common) git dir; skipped when its first component is not there at all. */
  const rootExists = (name) => {
    if (!dirs) dirs = { own: repo.gitDir, common: repo.commonDir ?? repo.gitDir }
    const dir = isPerWorktree(name) ? dirs.own : dirs.common
    if (!rootEntries) rootEntries = new Map()
    if (!rootEntries.has(dir)) {
      let names = []
      try {
        names = fs.readdirSync(dir)
      } catch {}
      rootEntries.set(dir, new Set(names))
    }
    const slash = name.indexOf('/')
    if (!rootEntries.get(dir).has(slash < 0 ? name : name.slice(0, slash))) return false
    const r = resolveName(repo, name)
    return !!(r && r.oid)
  }
  return {
    /** Does rule `j` applied to `short` name an existing ref? */
    rule(short, j) {
      if (j === 0) return rootExists(short)
      if (index === null && listing) fill(listing)
      if (index === null && ++asked > 500) fill(repo.refs.listSync('refs/'))
      if (index !== null) return ((index.get(short) ?? 0) & (1 << j)) !== 0
      const [p, s] = REV_PARSE_RULES[j]
      const r = resolveName(repo, p + short + s)
      return !!(r && r.oid)
    },
  }
}

/** git's refs_shorten_unambiguous_ref(refname, strict). */
function shortenRef(refname, strict, existence) {
  for (let i = REV_PARSE_RULES.length - 1; i > 0; i--) {
    const short = ruleShort(refname, i)
    if (short === null) continue
    const rulesToFail = strict ? REV_PARSE_RULES.length : i
    let j
    for (j = 0; j < rulesToFail; j++) {
      if (j !== i && existence.rule(short, j)) break
    }
    if (j === rulesToFail) return short
  }
  return refname
}

/** Object helpers with per-oid caches: header, peel, unique abbreviation. */
function objectCache(repo) {
  const headers = new Map()
  const peeled = new Map()
  const abbrevs = new Map()
  const has = new Map()
  const header = (oid) => {
    let h = headers.get(oid)
    if (!h) headers.set(oid, (h = repo.objectHeaderSync(oid)))
    return h
  }
  return {
    header,
    has(oid) {
      let v = has.get(oid)
      if (v === undefined) has.set(oid, (v = repo.hasObject(oid)))
      return v
    },
    /** The fully peeled id of a tag (null for anything else); `known` is packed-refs' peeled value. */
    peel(oid, known) {
      if (known) return known
      let v = peeled.get(oid)
      if (v !== undefined) return v
      v = null
      if (header(oid).type === 'tag') {
        let cur = oid
        for (let n = 0; n < 1000; n++) {
          const obj = repo.readObjectSync(cur)
          if (obj.type !== 'tag') break
          cur = obj.targetId
        }
        v = cur
      }
      peeled.set(oid, v)
      return v
    },
    /**
     * git's repo_find_unique_abbrev(oid, len): len < 0 is the automatic length, 0 (or >= 40)
     * the full id, otherwise at least `len` (>= 4) hex digits, more when ambiguous.
     */
    abbrev(oid, len) {
      if (len === 0 || len >= oid.length) return oid
      const key = `${len}:${oid}`
      let v = abbrevs.get(key)
      if (v !== undefined) return v
      const auto = abbrevs.get(`-1:${oid}`) ?? repo.__abbrev(oid)
      abbrevs.set(`-1:${oid}`, auto)
      if (len < 0 || len === auto.length) v = auto
      else if (len > auto.length) v = oid.slice(0, len)
      else {
        // The automatic abbreviation is the shortest unique one at or above its minimum; look
        // for a shorter unique prefix, down to `len`.
        v = auto
        for (let k = len; k < auto.length; k++) {
          if (uniquePrefix(repo, oid, k)) {
            v = oid.slice(0, k)
            break
          }
        }
      }
      abbrevs.set(key, v)
      return v
    },
  }
}

/** True when the first `k` hex digits of `oid` name no other object. */
function uniquePrefix(repo, oid, k) {
  const prefix = oid.slice(0, k)
  try {
    // A ref of that name would win in rev-parse; then we cannot tell and stay conservative.
    return repo.revParseSync(prefix) === oid
  } catch {
    return false
  }
}

/** `--abbrev=<n>` / `--hash=<n>`: git's parse_opt_abbrev_cb. */
function parseAbbrev(arg, optName, usage) {
  if (arg === undefined) return -1
  if (!/^[+-]?\d+$/.test(arg)) usageError(`option \`${optName}' expects a numerical value`, usage)
  let v = parseInt(arg, 10)
  if (v && v < 4) v = 4
  else if (v > 40) v = 40
  return v
}

/**
 * Every ref under each of `prefixes` (library-sorted), as the iteration git does: broken refs
 * (dangling or too deep chains) are skipped, and so are refs whose object is missing (with git's
 * error). Yields { ref, end } with `end` the direct ref at the end of the chain.
 */
function iterateRefs(repo, objs, prefixes, listings = []) {
  const out = []
  for (const prefix of prefixes) {
    const listing = repo.refs.listSync(prefix)
    listings.push(listing)
    for (const ref of listing) {
      const end = chainEnd(ref)
      if (!end) continue
      if (!objs.has(end.oid)) {
        process.stderr.write(`error: ${ref.name} does not point to a valid object!\n`)
        continue
      }
      out.push({ ref, end })
    }
  }
  return out
}

const SHOW_REF_USAGE = `usage: ferrogit show-ref [--head] [-d | --dereference] [-s | --hash[=<n>]] [--abbrev[=<n>]] [--branches] [--tags] [--] [<pattern>...]
   or: ferrogit show-ref --verify [-q | --quiet] [-d | --dereference] [-s | --hash[=<n>]] [--abbrev[=<n>]] [--] [<ref>...]
   or: ferrogit show-ref --exists <ref>
`

function showRef(cwd, args) {
  const o = { head: false, branches: false, tags: false, deref: false, hashOnly: false, abbrev: 0, quiet: false, verify: false, exists: false }
  const flag = (key) => (v, neg) => {
    o[key] = !neg
  }
  const patterns = parseOptions(
    args,
    [
      { long: 'tags', kind: 'bool', set: flag('tags') },
      { long: 'branches', kind: 'bool', set: flag('branches') },
      { long: 'heads', kind: 'bool', hidden: true, set: flag('branches') },
      { long: 'exists', kind: 'bool', set: flag('exists') },
      { long: 'verify', kind: 'bool', set: flag('verify') },
      { long: 'head', kind: 'bool', set: flag('head') },
      { long: 'dereference', short: 'd', kind: 'bool', set: flag('deref') },
      {
        long: 'hash',
        short: 's',
        kind: 'optarg',
        set: (v, neg) => {
          if (neg) {
            o.hashOnly = false
            return
          }
          o.hashOnly = true
          if (v !== undefined) o.abbrev = parseAbbrev(v, 'hash', SHOW_REF_USAGE)
        },
      },
      { long: 'abbrev', kind: 'optarg', set: (v, neg) => (o.abbrev = neg ? 0 : parseAbbrev(v, 'abbrev', SHOW_REF_USAGE)) },
      { long: 'quiet', short: 'q', kind: 'bool', set: flag('quiet') },
      { long: 'exclude-existing', kind: 'optarg', set: () => die('ferrogit show-ref: --exclude-existing is not supported') },
    ],
    SHOW_REF_USAGE,
  )
  const repo = openRepo(cwd)
  if (o.verify && o.exists) die("options '--verify' and '--exists' cannot be used together")
  if (o.exists) return showRefExists(repo, patterns)
  const objs = objectCache(repo)

  const showOne = (name, oid, knownPeeled) => {
    if (!objs.has(oid)) die(`git show-ref: bad ref ${name} (${oid})`)
    if (o.quiet) return
    const hex = objs.abbrev(oid, o.abbrev)
    emit(o.hashOnly ? `${hex}\n` : `${hex} ${bytes(name)}\n`)
    if (!o.deref) return
    const peeled = objs.peel(oid, knownPeeled)
    if (peeled) emit(`${objs.abbrev(peeled, o.abbrev)} ${bytes(name)}^{}\n`)
  }

  if (o.verify) {
    if (!patterns.length) die('--verify requires a reference')
    for (const name of patterns) {
      const r = name.startsWith('refs/') || isSafeRootName(name) ? resolveName(repo, name) : null
      if (r && r.oid) showOne(name, r.oid, r.peeled)
      else if (!o.quiet) die(`'${name}' - not a valid ref`)
      else throw new Exit(1)
    }
    return
  }

  let found = 0
  const matches = (name) => {
    if (!patterns.length) return true
    for (const m of patterns) {
      if (m.length > name.length) continue
      if (!name.endsWith(m)) continue
      if (m.length === name.length || name[name.length - m.length - 1] === '/') return true
    }
    return false
  }
  if (o.head) {
    const r = resolveName(repo, 'HEAD')
    if (r && r.oid) {
      found++
      showOne('HEAD', r.oid, null)
    }
  }
  const prefixes = o.branches || o.tags ? [...(o.branches ? ['refs/heads/'] : []), ...(o.tags ? ['refs/tags/'] : [])] : ['refs/']
  for (const { ref, end } of iterateRefs(repo, objs, prefixes)) {
    if (!matches(ref.name)) continue
    found++
    showOne(ref.name, end.oid, end.peeled)
  }
  if (!found) throw new Exit(1)
}

function showRefExists(repo, refs) {
  if (!refs.length) die('--exists requires a reference')
  if (refs.length > 1) die('--exists requires exactly one reference')
  let raw
  try {
    raw = readRaw(repo, refs[0])
  } catch (e) {
    if (!(e instanceof GitError)) throw e
    // git's files backend fails a ref file it cannot parse with EINVAL.
    const why = e.code === 'ERR_CORRUPT_REF' ? 'Invalid argument' : e.message
    process.stderr.write(`error: failed to look up reference: ${why}\n`)
    throw new Exit(1)
  }
  // A symbolic ref exists even when it dangles; a "direct" ref without a value is a dangling target.
  if (!raw || (raw.kind === 'direct' && !raw.oid)) {
    process.stderr.write('error: reference does not exist\n')
    throw new Exit(2)
  }
}

// --- for-each-ref -------------------------------------------------------------

const FOR_EACH_REF_USAGE = `usage: ferrogit for-each-ref [--format=<format>] [--sort=<key>]... [--count=<n>] [--exclude=<pattern>]... [<pattern>...]
`

/** Atoms git knows that this command does not implement (so the message says which). */
const GIT_ONLY_ATOMS = new Set(
  ('deltabase tree parent numparent object type tag author authorname authoremail authordate committer ' +
    'committername committeremail committerdate tagger taggername taggeremail taggerdate creator creatordate ' +
    'describe subject body trailers contents signature raw upstream push flag HEAD color worktreepath align end ' +
    'if then else rest ahead-behind is-base').split(' '),
)

/** Parse one `%(...)` body (or a --sort key) into an atom; dies as git does on a bad one. */
function parseAtom(text) {
  const deref = text.startsWith('*')
  const body = deref ? text.slice(1) : text
  const colon = body.indexOf(':')
  const name = colon < 0 ? body : body.slice(0, colon)
  const arg = colon < 0 ? null : body.slice(colon + 1)
  const atom = { text, deref, name, arg, kind: null, n: 0 }
  const intArg = (s, what) => {
    if (!/^[+-]?\d+$/.test(s)) die(`Integer value expected refname:${what}=${s}`)
    return parseInt(s, 10)
  }
  switch (name) {
    case 'refname':
    case 'symref':
      if (arg === null) atom.kind = 'full'
      else if (arg === 'short') atom.kind = 'short'
      else if (arg.startsWith('lstrip=') || arg.startsWith('strip=')) {
        atom.kind = 'lstrip'
        atom.n = intArg(arg.slice(arg.indexOf('=') + 1), arg.startsWith('strip=') ? 'strip' : 'lstrip')
      } else if (arg.startsWith('rstrip=')) {
        atom.kind = 'rstrip'
        atom.n = intArg(arg.slice(7), 'rstrip')
      } else die(`unrecognized %(${name}) argument: ${arg}`)
      break
    case 'objectname':
      if (arg === null) atom.kind = 'full'
      else if (arg === 'short') {
        atom.kind = 'short'
        atom.n = -1
      } else if (arg.startsWith('short=')) {
        const v = arg.slice(6)
        if (!/^\d+$/.test(v)) die(`positive value expected '${v}' in %(${text})`)
        atom.kind = 'short'
        atom.n = Math.max(4, parseInt(v, 10))
      } else die(`unrecognized %(objectname) argument: ${arg}`)
      break
    case 'objecttype':
      if (arg !== null) die('%(objecttype) does not take arguments')
      break
    case 'objectsize':
      if (arg === 'disk') die('ferrogit for-each-ref: %(objectsize:disk) is not supported')
      if (arg !== null) die(`unrecognized %(objectsize) argument: ${arg}`)
      break
    default:
      if (GIT_ONLY_ATOMS.has(name)) die(`ferrogit for-each-ref: %(${name}) is not supported`)
      die(`unknown field name: ${text}`)
  }
  if (deref && (name === 'refname' || name === 'symref')) die(`ferrogit for-each-ref: %(${text}) is not supported`)
  return atom
}

/** `--format`: literal runs (git's append_literal: `%%`, `%xx` hex bytes) and atoms. */
function compileFormat(fmt, usage) {
  const parts = []
  const literal = (s) => {
    let lit = ''
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '%') {
        if (s[i + 1] === '%') i++
        else if (/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
          lit += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16))
          i += 2
          continue
        }
      }
      lit += s[i]
    }
    if (lit) parts.push(lit)
  }
  let cp = 0
  for (;;) {
    // find_next: the next `%(`, skipping `%%`.
    let sp = -1
    for (let i = cp; i < fmt.length; i++) {
      if (fmt[i] === '%') {
        if (fmt[i + 1] === '(') {
          sp = i
          break
        }
        if (fmt[i + 1] === '%') i++
      }
    }
    if (sp < 0) {
      literal(bytes(fmt.slice(cp)))
      break
    }
    literal(bytes(fmt.slice(cp, sp)))
    const ep = fmt.indexOf(')', sp)
    if (ep < 0) usageError(`malformed format string ${fmt.slice(sp)}`, usage)
    parts.push(parseAtom(fmt.slice(sp + 2, ep)))
    cp = ep + 1
  }
  return parts
}

/** git's lstrip_ref_components / rstrip_ref_components. */
function stripComponents(name, n, fromLeft) {
  let remaining = n
  if (n < 0) remaining = name.split('/').length + n
  if (fromLeft) {
    let start = 0
    while (remaining > 0) {
      const slash = name.indexOf('/', start)
      if (slash < 0) return ''
      start = slash + 1
      remaining--
    }
    return name.slice(start)
  }
  let s = name
  while (remaining-- > 0) {
    const slash = s.lastIndexOf('/')
    if (slash < 0) return ''
    s = s.slice(0, slash)
  }
  return s
}

/**
 * git's match_name_as_path: a pattern matches a prefix of the name ending at a component
 * boundary (or itself ending in '/'), or matches the whole name as a wildmatch(WM_PATHNAME) glob.
 */
function matchNameAsPath(patterns, name) {
  for (const p of patterns) {
    if (
      p.length <= name.length &&
      name.startsWith(p) &&
      (name.length === p.length || name[p.length] === '/' || p.endsWith('/'))
    )
      return true
    if (wildmatch(p, name)) return true
  }
  return false
}

function forEachRef(cwd, args) {
  let format = '%(objectname) %(objecttype)\t%(refname)'
  const sortKeys = []
  const excludes = []
  let count = 0
  const patterns = parseOptions(
    args,
    [
      { long: 'format', kind: 'string', set: (v) => (format = v) },
      { long: 'sort', kind: 'string', set: (v, neg) => (neg ? (sortKeys.length = 0) : sortKeys.push(v)) },
      {
        long: 'count',
        kind: 'string',
        set: (v, neg) => {
          if (neg) return (count = 0)
          if (!/^[+-]?\d+$/.test(v)) usageError("option `count' expects a numerical value", FOR_EACH_REF_USAGE)
          count = parseInt(v, 10)
        },
      },
      { long: 'exclude', kind: 'string', set: (v, neg) => (neg ? (excludes.length = 0) : excludes.push(v)) },
      ...['shell', 'perl', 'python', 'tcl', 'omit-empty', 'color', 'points-at', 'merged', 'no-merged', 'contains', 'no-contains', 'ignore-case', 'stdin', 'include-root-refs'].map(
        (long) => ({ long, kind: 'optarg', set: () => die(`ferrogit for-each-ref: --${long} is not supported`) }),
      ),
    ],
    FOR_EACH_REF_USAGE,
  )
  if (count < 0) usageError(`invalid --count argument: \`${count}'`, FOR_EACH_REF_USAGE)
  const repo = openRepo(cwd)
  const parts = compileFormat(format, FOR_EACH_REF_USAGE)
  // The last --sort is the primary key; refname ascending breaks ties (and is the default).
  const sorting = sortKeys
    .slice()
    .reverse()
    .map((k) => {
      const reverse = k.startsWith('-')
      const key = reverse ? k.slice(1) : k
      if (/^(version|v):/.test(key)) die(`ferrogit for-each-ref: --sort=${k} is not supported`)
      return { atom: parseAtom(key), reverse }
    })

  // List only what the patterns can match: the literal part of each, up to a glob character.
  let prefixes = ['refs/']
  if (patterns.length) {
    const lits = patterns.map((p) => p.slice(0, p.search(/[*?[\\]|$/)))
    if (lits.every((l) => l.startsWith('refs/'))) {
      lits.sort()
      prefixes = lits.filter((l, i) => !lits.slice(0, i).some((q) => l.startsWith(q)))
    }
  }
  const objs = objectCache(repo)
  const listings = []
  let items = iterateRefs(repo, objs, prefixes, listings).filter(
    ({ ref }) => (!patterns.length || matchNameAsPath(patterns, ref.name)) && !(excludes.length && matchNameAsPath(excludes, ref.name)),
  )
  if (prefixes.length > 1) items.sort((a, b) => strcmp(a.ref.name, b.ref.name))
  const exists = refExistence(repo, prefixes[0] === 'refs/' ? listings[0] : null)

  const value = (item, atom) => {
    const { ref, end } = item
    let oid = end.oid
    if (atom.deref) {
      oid = objs.header(oid).type === 'tag' ? objs.peel(oid, end.peeled) : null
      if (!oid) return ''
    }
    switch (atom.name) {
      case 'refname':
      case 'symref': {
        let name = ref.name
        if (atom.name === 'symref') {
          if (ref.kind !== 'symbolic') return ''
          name = end.name
        }
        if (atom.kind === 'short') return shortenRef(name, true, exists)
        if (atom.kind === 'lstrip') return stripComponents(name, atom.n, true)
        if (atom.kind === 'rstrip') return stripComponents(name, atom.n, false)
        return name
      }
      case 'objectname':
        return atom.kind === 'short' ? objs.abbrev(oid, atom.n) : oid
      case 'objecttype':
        return objs.header(oid).type
      case 'objectsize':
        return objs.header(oid).size
    }
    return ''
  }

  if (sorting.length) {
    const keyed = items.map((item) => ({ item, keys: sorting.map((s) => value(item, s.atom)) }))
    // Stable: ties keep the refname order of the listing.
    keyed.sort((a, b) => {
      for (let i = 0; i < sorting.length; i++) {
        const x = a.keys[i]
        const y = b.keys[i]
        // objectsize compares as a number (an empty `*objectsize` as 0), everything else as bytes.
        const c = sorting[i].atom.name === 'objectsize' ? (Number(x) || 0) - (Number(y) || 0) : strcmp(String(x), String(y))
        if (c) return sorting[i].reverse ? -c : c
      }
      return 0
    })
    items = keyed.map((k) => k.item)
  }
  if (count) items = items.slice(0, count)

  for (const item of items) {
    let line = ''
    for (const part of parts) line += typeof part === 'string' ? part : bytes(String(value(item, part)))
    emit(`${line}\n`)
  }
}

// --- symbolic-ref -------------------------------------------------------------

const SYMBOLIC_REF_USAGE = `usage: ferrogit symbolic-ref [-m <reason>] <name> <ref>
   or: ferrogit symbolic-ref [-q] [--short] [--no-recurse] <name>
   or: ferrogit symbolic-ref --delete [-q] <name>
`

function symbolicRef(cwd, args) {
  const o = { quiet: false, short: false, recurse: true, delete: false, message: null }
  const names = parseOptions(
    args,
    [
      { long: 'quiet', short: 'q', kind: 'bool', set: (v, neg) => (o.quiet = !neg) },
      { long: 'delete', short: 'd', kind: 'bool', set: (v, neg) => (o.delete = !neg) },
      { long: 'short', kind: 'bool', set: (v, neg) => (o.short = !neg) },
      { long: 'recurse', kind: 'bool', set: (v, neg) => (o.recurse = !neg) },
      { long: 'm', short: 'm', kind: 'string', hidden: true, noNegate: true, set: (v) => (o.message = v) },
    ],
    SYMBOLIC_REF_USAGE,
  )
  const usage = () => {
    process.stderr.write(SYMBOLIC_REF_USAGE)
    throw new Exit(129)
  }
  const repo = openRepo(cwd)
  if (o.message !== null && o.message === '') die('Refusing to perform update with empty message')
  if (o.delete) {
    if (names.length !== 1) usage()
    return symbolicRefDelete(repo, names[0])
  }
  if (names.length === 2) return symbolicRefSet(repo, names[0], names[1], o.message)
  if (names.length !== 1) usage()
  const name = names[0]
  const r = resolveName(repo, name, !o.recurse)
  if (!r) die(`No such ref: ${name}`)
  if (!r.isSymref) {
    if (!o.quiet) die(`ref ${name} is not a symbolic ref`)
    throw new Exit(1)
  }
  const target = o.short ? shortenRef(r.name, false, refExistence(repo)) : r.name
  emit(`${bytes(target)}\n`)
}

/** `symbolic-ref <name> <ref>`: git's refusals, then the library's setSymbolic (errors exit 1, as git's). */
function symbolicRefSet(repo, name, target, message) {
  if (name === 'HEAD' && !target.startsWith('refs/')) die('Refusing to point HEAD outside of refs/')
  if (!isValidRefname(target)) die(`Refusing to set '${name}' to invalid ref '${target}'`)
  try {
    repo.refs.setSymbolicSync(name, target, message !== null ? { message } : {})
  } catch (e) {
    if (!(e instanceof GitError)) throw e
    process.stderr.write(`error: ${refErrorText(e, name)}\n`)
    throw new Exit(1)
  }
}

/**
 * `symbolic-ref -d <name>`: only a symbolic ref, never HEAD; the ref itself goes (git's
 * delete_ref with REF_NO_DEREF, no reflog message: `-m` is not used).
 */
function symbolicRefDelete(repo, name) {
  const r = resolveName(repo, name, true)
  if (!r) die(`No such ref: ${name}`)
  if (!r.isSymref) die(`Cannot delete ${name}, not a symbolic ref`)
  if (name === 'HEAD') die(`deleting '${name}' is not allowed`)
  try {
    repo.refs.deleteSync(name, { noDeref: true })
  } catch (e) {
    if (!(e instanceof GitError)) throw e
    process.stderr.write(`error: ${refErrorText(e, name)}\n`)
    throw new Exit(1)
  }
}

// --- wildmatch ------------------------------------------------------------------

/** git's wildmatch(pattern, text, WM_PATHNAME) over UTF-8 bytes. */
function wildmatch(pattern, text) {
  return dowild(Buffer.from(pattern, 'utf8'), 0, Buffer.from(text, 'utf8'), 0) === WM_MATCH
}
const WM_MATCH = 0
const WM_NOMATCH = 1
const WM_ABORT_ALL = -1
const WM_ABORT_TO_STARSTAR = -2
const SLASH = 0x2f
const isGlobSpecial = (c) => c === 0x2a || c === 0x3f || c === 0x5b || c === 0x5c
const CLASSES = {
  alnum: (c) => /[A-Za-z0-9]/.test(String.fromCharCode(c)),
  alpha: (c) => /[A-Za-z]/.test(String.fromCharCode(c)),
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  digit: (c) => c >= 0x30 && c <= 0x39,
  graph: (c) => c > 0x20 && c < 0x7f,
  lower: (c) => c >= 0x61 && c <= 0x7a,
  print: (c) => c >= 0x20 && c < 0x7f,
  punct: (c) => c > 0x20 && c < 0x7f && !/[A-Za-z0-9]/.test(String.fromCharCode(c)),
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  upper: (c) => c >= 0x41 && c <= 0x5a,
  xdigit: (c) => /[0-9A-Fa-f]/.test(String.fromCharCode(c)),
}

function dowild(p, pi, t, ti) {
  const at = (buf, i) => (i < buf.length ? buf[i] : 0)
  for (; at(p, pi) !== 0; ti++, pi++) {
    let pCh = at(p, pi)
    let tCh = at(t, ti)
    if (tCh === 0 && pCh !== 0x2a) return WM_ABORT_ALL
    switch (pCh) {
      case 0x5c: // '\\': literal match with the next character
        pCh = at(p, ++pi)
      // falls through
      default:
        if (tCh !== pCh) return WM_NOMATCH
        continue
      case 0x3f: // '?'
        if (tCh === SLASH) return WM_NOMATCH
        continue
      case 0x2a: {
        // '*'
        let matchSlash
        if (at(p, ++pi) === 0x2a) {
          const prevP = pi - 2
          while (at(p, ++pi) === 0x2a) {}
          if (
            (prevP < 0 || p[prevP] === SLASH) &&
            (at(p, pi) === 0 || at(p, pi) === SLASH || (at(p, pi) === 0x5c && at(p, pi + 1) === SLASH))
          ) {
            if (at(p, pi) === SLASH && dowild(p, pi + 1, t, ti) === WM_MATCH) return WM_MATCH
            matchSlash = true
          } else matchSlash = false
        } else matchSlash = false
        if (at(p, pi) === 0) {
          if (!matchSlash && t.indexOf(SLASH, ti) >= 0) return WM_NOMATCH
          return WM_MATCH
        } else if (!matchSlash && at(p, pi) === SLASH) {
          const slash = t.indexOf(SLASH, ti)
          if (slash < 0) return WM_NOMATCH
          ti = slash
          break // the slash is consumed by the loop
        }
        for (;;) {
          if (tCh === 0) break
          if (!isGlobSpecial(at(p, pi))) {
            pCh = at(p, pi)
            while ((tCh = at(t, ti)) !== 0 && (matchSlash || tCh !== SLASH)) {
              if (tCh === pCh) break
              ti++
            }
            if (tCh !== pCh) return WM_NOMATCH
          }
          const matched = dowild(p, pi, t, ti)
          if (matched !== WM_NOMATCH) {
            if (!matchSlash || matched !== WM_ABORT_TO_STARSTAR) return matched
          } else if (!matchSlash && tCh === SLASH) return WM_ABORT_TO_STARSTAR
          tCh = at(t, ++ti)
        }
        return WM_ABORT_ALL
      }
      case 0x5b: {
        // '['
        pCh = at(p, ++pi)
        if (pCh === 0x5e) pCh = 0x21 // '^' as '!'
        const negated = pCh === 0x21
        if (negated) pCh = at(p, ++pi)
        let prevCh = 0
        let matched = false
        do {
          if (!pCh) return WM_ABORT_ALL
          if (pCh === 0x5c) {
            pCh = at(p, ++pi)
            if (!pCh) return WM_ABORT_ALL
            if (tCh === pCh) matched = true
          } else if (pCh === 0x2d && prevCh && at(p, pi + 1) && at(p, pi + 1) !== 0x5d) {
            pCh = at(p, ++pi)
            if (pCh === 0x5c) {
              pCh = at(p, ++pi)
              if (!pCh) return WM_ABORT_ALL
            }
            if (tCh <= pCh && tCh >= prevCh) matched = true
            pCh = 0
          } else if (pCh === 0x5b && at(p, pi + 1) === 0x3a) {
            pi += 2
            const s = pi
            while ((pCh = at(p, pi)) && pCh !== 0x5d) pi++
            if (!pCh) return WM_ABORT_ALL
            const i = pi - s - 1
            if (i < 0 || p[pi - 1] !== 0x3a) {
              // not "[:class:]": a plain '['
              pi = s - 2
              pCh = 0x5b
              if (tCh === pCh) matched = true
              continue
            }
            const cls = CLASSES[p.subarray(s, s + i).toString('latin1')]
            if (!cls) return WM_ABORT_ALL
            if (cls(tCh)) matched = true
            pCh = 0
          } else if (tCh === pCh) matched = true
        } while (((prevCh = pCh), (pCh = at(p, ++pi)) !== 0x5d))
        if (matched === negated || tCh === SLASH) return WM_NOMATCH
        continue
      }
    }
  }
  return ti < t.length ? WM_NOMATCH : WM_MATCH
}

// --- update-ref -----------------------------------------------------------------

const ZERO = '0'.repeat(40)

const UPDATE_REF_USAGE = `usage: ferrogit update-ref [<options>] -d <refname> [<old-oid>]
   or: ferrogit update-ref [<options>]    <refname> <new-oid> [<old-oid>]
   or: ferrogit update-ref [<options>] --stdin [-z]
`

const LOCK_HELP =
  'Another git process seems to be running in this repository, e.g.\n' +
  "an editor opened by 'git commit'. Please make sure all processes\n" +
  'are terminated then try again. If it still fails, a git process\n' +
  'may have crashed in this repository earlier:\n' +
  'remove the file manually to continue.'

/**
 * A library error from a ref update in git's words (refs/files-backend.c, lockfile.c), for the
 * failures git describes the same way; otherwise the library's own message. `ref` names the
 * ref being written when the error does not (a missing object).
 */
function refErrorText(e, ref = null) {
  const name = e.ref ?? ref
  const m = e.message
  const lock = (why) => `cannot lock ref '${name}': ${why}`
  let r
  switch (e.code) {
    case 'ERR_REF_CONFLICT':
      if ((r = /: expected ([0-9a-f]+), found ([0-9a-f]+)$/.exec(m))) return lock(`is at ${r[2]} but expected ${r[1]}`)
      if (/: it exists$/.test(m)) return lock('reference already exists')
      if (/does not exist$/.test(m)) return lock(`unable to resolve reference '${name}'`)
      if (/more than one edit of this ref/.test(m)) return `multiple updates for ref '${name}' not allowed`
      break
    case 'ERR_REF_EXISTS':
      return lock('reference already exists')
    case 'ERR_REF_NAME_CONFLICT':
      if ((r = / conflicts with existing ref (.+)$/.exec(m))) return lock(`'${r[1]}' exists; cannot create '${name}'`)
      break
    case 'ERR_REF_LOCKED':
      if ((r = / is locked: (.+\.lock) exists \(/.exec(m))) return lock(`Unable to create '${r[1]}': File exists.\n\n${LOCK_HELP}`)
      break
    case 'ERR_INVALID_REF_NAME':
      if (name !== null) return `refusing to update ref with bad name '${name}'`
      break
    case 'ERR_OBJECT_NOT_FOUND':
      if (ref !== null) return `cannot update ref '${ref}': trying to write ref '${ref}' with nonexistent object ${e.oid}`
      break
  }
  return m
}

/** Run `fn` (a library call); a GitError dies as git does: `fatal: <prefix><git's words>`. */
function refCall(fn, prefix = '', ref = null) {
  try {
    return fn()
  } catch (e) {
    if (e instanceof GitError) die(prefix + refErrorText(e, ref))
    throw e
  }
}

/** An object id as update-ref reads one (full hex as is, else a revision); null when it is not one. */
function readOid(repo, arg) {
  if (/^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.test(arg)) return arg.toLowerCase()
  try {
    return repo.revParseSync(arg)
  } catch (e) {
    if (e instanceof GitError) return null
    throw e
  }
}

/**
 * Queue git's ref_transaction_update(name, new, old): `nw` ZERO deletes, `old` undefined checks
 * nothing, ZERO means the ref must not exist.
 */
function queueUpdate(tx, name, nw, old, message, noDeref) {
  const opts = {}
  if (message !== undefined) opts.message = message
  if (noDeref) opts.noDeref = true
  if (nw === ZERO) {
    if (old === ZERO) tx.verify(name, null)
    else tx.delete(name, old === undefined ? opts : { ...opts, expectedOld: old })
  } else tx.update(name, nw, old === undefined ? opts : { ...opts, expectedOld: old === ZERO ? null : old })
}

/**
 * The records of stdin, each with its terminator (the last one may lack it), read as they
 * arrive: `--stdin` answers `prepare` while its writer still holds the pipe open.
 */
class RecordReader {
  constructor(stream, term) {
    this.it = stream[Symbol.asyncIterator]()
    this.term = term
    this.buf = Buffer.alloc(0)
    this.eof = false
  }

  /** The next record as a string (UTF-8), or null at the end of input. */
  async next() {
    for (let from = 0; ; ) {
      const i = this.buf.indexOf(this.term, from)
      if (i >= 0) {
        const rec = this.buf.subarray(0, i + 1)
        this.buf = this.buf.subarray(i + 1)
        return rec.toString('utf8')
      }
      if (this.eof) {
        if (!this.buf.length) return null
        const rec = this.buf
        this.buf = Buffer.alloc(0)
        return rec.toString('utf8')
      }
      from = this.buf.length
      const { value, done } = await this.it.next()
      if (done) this.eof = true
      else this.buf = this.buf.length ? Buffer.concat([this.buf, value]) : value
    }
  }
}

// update-ref --stdin states (git's enum update_refs_state), in order.
const OPEN = 0
const STARTED = 1
const PREPARED = 2
const CLOSED = 3

/** The --stdin commands: how many arguments (records, with -z) and the state each leads to. */
const STDIN_COMMANDS = [
  ['update', 3, OPEN],
  ['create', 2, OPEN],
  ['delete', 2, OPEN],
  ['verify', 2, OPEN],
  ['symref-update', 4, OPEN],
  ['symref-create', 2, OPEN],
  ['symref-delete', 2, OPEN],
  ['symref-verify', 2, OPEN],
  ['option', 1, OPEN],
  ['start', 0, STARTED],
  ['prepare', 0, PREPARED],
  ['abort', 0, CLOSED],
  ['commit', 0, CLOSED],
]

const isSpace = (c) => c === ' ' || (c >= '\t' && c <= '\r')

/**
 * One --stdin command (git's builtin/update-ref.c parse_cmd_*), over `s`: the command's text with
 * its terminators (with -z, its argument records appended), from index `pos`. `term` is '\n', or
 * '\0' with -z. C's NUL-terminated reading is kept: `ch` past the end is '\0', `cstr` stops at NUL.
 */
function stdinParser(repo, s, pos, term) {
  const ch = (i) => (i < s.length ? s[i] : '\0')
  const cstr = (i) => {
    const nul = s.indexOf('\0', i)
    return s.slice(i, nul < 0 ? s.length : nul)
  }
  const p = { next: pos }

  /** One argument: up to whitespace, or C-quoted. */
  const parseArg = () => {
    if (ch(p.next) === '"') {
      const orig = cstr(p.next)
      const u = unquoteC(s, p.next)
      if (!u) die(`badly quoted argument: ${orig}`)
      p.next = u.end
      if (ch(p.next) !== '\0' && !isSpace(ch(p.next))) die(`unexpected character after quoted argument: ${orig}`)
      return u.value
    }
    const start = p.next
    while (ch(p.next) !== '\0' && !isSpace(ch(p.next))) p.next++
    return s.slice(start, p.next)
  }

  p.refname = () => {
    let ref
    if (term === '\n') ref = parseArg()
    else {
      ref = cstr(p.next)
      p.next += ref.length
    }
    if (!ref) return null
    if (!isValidRefname(ref)) die(`invalid ref format: ${ref}`)
    return ref
  }

  /** A separator then a ref name (null when there is none). */
  p.nextRefname = () => {
    if (term === '\n') {
      if (ch(p.next) === '\0' || ch(p.next) === '\n') return null
      if (ch(p.next) !== ' ') die(`expected SP but got: ${cstr(p.next)}`)
    } else if (ch(p.next) !== '\0' || p.next >= s.length) return null
    p.next++
    return p.refname()
  }

  /**
   * A separator then an object id (git's parse_next_oid): the id, or null when there is no
   * argument (with -z: an empty one; `allowEmpty` makes that ZERO, with git's warning).
   */
  p.nextOid = (command, ref, old, allowEmpty = false) => {
    const what = old ? '<old-oid>' : '<new-oid>'
    const eof = () => die(`${command} ${ref}: unexpected end of input when reading ${what}`)
    const resolve = (arg) => readOid(repo, arg) ?? die(`${command} ${ref}: invalid ${what}: ${arg}`)
    if (p.next >= s.length) eof()
    if (term === '\n') {
      if (ch(p.next) === '\0' || ch(p.next) === '\n') return null
      if (ch(p.next) !== ' ') die(`${command} ${ref}: expected SP but got: ${cstr(p.next)}`)
      p.next++
      const arg = parseArg()
      return arg ? resolve(arg) : ZERO
    }
    if (ch(p.next) !== '\0') die(`${command} ${ref}: expected NUL but got: ${cstr(p.next)}`)
    p.next++
    if (p.next >= s.length) eof()
    const arg = cstr(p.next)
    p.next += arg.length
    if (arg) return resolve(arg)
    if (!allowEmpty) return null
    process.stderr.write(`warning: ${command} ${ref}: missing <new-oid>, treating as zero\n`)
    return ZERO
  }

  /** A separator then an argument (git's parse_next_arg): null when there is none, or it is empty. */
  p.nextArg = () => {
    if (term === '\n') {
      if (ch(p.next) === '\0' || ch(p.next) === '\n') return null
      if (ch(p.next) !== ' ') die(`expected SP but got: ${cstr(p.next)}`)
    } else if (ch(p.next) !== '\0' || p.next >= s.length) return null
    p.next++
    let arg
    if (term === '\n') arg = parseArg()
    else {
      arg = cstr(p.next)
      p.next += arg.length
    }
    return arg || null
  }

  /** Dies unless the command ends here. */
  p.end = (what) => {
    if (ch(p.next) !== term) die(`${what}: extra input: ${cstr(p.next)}`)
  }
  p.rest = () => cstr(p.next)
  return p
}

/** git's unquote_c_style on `s` at `i` (a '"'): { value, end } or null when malformed. */
function unquoteC(s, i) {
  const out = []
  const ESC = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 }
  for (i++; i < s.length; ) {
    const c = s[i]
    if (c === '"') return { value: Buffer.from(out).toString('utf8'), end: i + 1 }
    if (c === '\\') {
      const d = s[i + 1]
      if (d in ESC) {
        out.push(ESC[d])
        i += 2
      } else if (/^[0-3][0-7]{2}$/.test(s.slice(i + 1, i + 4))) {
        out.push(parseInt(s.slice(i + 1, i + 4), 8))
        i += 4
      } else return null
      continue
    }
    const cp = s.codePointAt(i)
    const text = String.fromCodePoint(cp)
    out.push(...Buffer.from(text, 'utf8'))
    i += text.length
  }
  return null
}

/**
 * git update-ref --stdin: one transaction committed at the end, or transactions opened with
 * `start` and closed by `commit` / `abort`, optionally `prepare`d first (every lock taken and
 * every old value checked; the locks are held until the commit or abort). `noDeref`
 * (--no-deref) applies to every command, `option no-deref` to the next one.
 */
async function updateRefStdin(repo, message, nul, noDeref) {
  const term = nul ? '\0' : '\n'
  const reader = new RecordReader(process.stdin, nul ? 0 : 10)
  let tx = repo.refs.transaction()
  let state = OPEN
  let deref = !noDeref
  // Locks a prepared transaction holds go when the process does, as git's lockfiles do: on any
  // exit, and on the signals git cleans up after (then dying of the signal, as git does).
  const release = () => {
    if (state === PREPARED || state === STARTED) tx.abort()
  }
  const onSignal = (sig) => {
    release()
    process.kill(process.pid, sig)
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']
  for (const sig of signals) process.once(sig, onSignal)
  process.on('exit', release)
  try {
    for (let line; (line = await reader.next()) !== null; ) {
      if (line[0] === term) die('empty command in input')
      if (isSpace(line[0])) die(`whitespace before command: ${line.split('\0')[0]}`)
      const cmd = STDIN_COMMANDS.find(([name, args]) => line.startsWith(name) && (line[name.length] ?? '\0') === (args ? ' ' : term))
      if (!cmd) die(`unknown command: ${line.split('\0')[0]}`)
      const [name, args, next] = cmd
      // With -z, the arguments are the next records (an early end is the command's to report).
      for (let j = 1; nul && j < args; j++) {
        const more = await reader.next()
        if (more === null) break
        line += more
      }

      switch (state) {
        case OPEN:
        case STARTED:
          if (state === STARTED && next === STARTED) die('cannot restart ongoing transaction')
          if (next >= state) state = next
          break
        case PREPARED:
          if (next !== CLOSED) die('prepared transactions can only be closed')
          state = next
          break
        case CLOSED:
          if (next !== STARTED) die('transaction is closed')
          state = next
          tx = repo.refs.transaction()
          break
      }

      const p = stdinParser(repo, line, name.length + (args ? 1 : 0), term)
      switch (name) {
        case 'start':
          out('start: ok\n')
          break
        case 'prepare':
          try {
            tx.prepareSync()
          } catch (e) {
            state = CLOSED // nothing is held after a failed prepare
            if (e instanceof GitError) die(`prepare: ${refErrorText(e)}`)
            throw e
          }
          out('prepare: ok\n')
          break
        case 'commit':
          try {
            tx.commitSync()
          } catch (e) {
            if (e instanceof GitError) die(`commit: ${refErrorText(e)}`)
            throw e
          }
          out('commit: ok\n')
          break
        case 'abort':
          tx.abort()
          out('abort: ok\n')
          break
        case 'option':
          if (line.startsWith('no-deref', p.next) && (line[p.next + 8] ?? '\0') === term) deref = false
          else die(`option unknown: ${p.rest()}`)
          break
        default:
          stdinEdit(tx, p, name, message, !deref)
          deref = !noDeref
      }
    }
    // At the end of input: commit what was never started, abort what was started and left open.
    if (state === OPEN) refCall(() => tx.commitSync())
    else if (state !== CLOSED) tx.abort()
    state = CLOSED
  } finally {
    release()
    state = CLOSED
    process.removeListener('exit', release)
    for (const sig of signals) process.removeListener(sig, onSignal)
    process.stdin.destroy()
  }
}

/** Queue one update/create/delete/verify/symref-update of --stdin on `tx`. */
function stdinEdit(tx, p, cmd, message, noDeref) {
  const ref = p.refname()
  if (!ref) die(`${cmd}: missing <ref>`)
  switch (cmd) {
    case 'update': {
      const nw = p.nextOid(cmd, ref, false, true)
      if (nw === null) die(`update ${ref}: missing <new-oid>`)
      const old = p.nextOid(cmd, ref, true) ?? undefined
      p.end(`update ${ref}`)
      queueUpdate(tx, ref, nw, old, message, noDeref)
      return
    }
    case 'create': {
      const nw = p.nextOid(cmd, ref, false)
      if (nw === null) die(`create ${ref}: missing <new-oid>`)
      if (nw === ZERO) die(`create ${ref}: zero <new-oid>`)
      p.end(`create ${ref}`)
      tx.create(ref, nw, message !== undefined ? { message } : {})
      return
    }
    case 'delete': {
      const old = p.nextOid(cmd, ref, true)
      if (old === ZERO) die(`delete ${ref}: zero <old-oid>`)
      p.end(`delete ${ref}`)
      const opts = {}
      if (message !== undefined) opts.message = message
      if (noDeref) opts.noDeref = true
      if (old !== null) opts.expectedOld = old
      tx.delete(ref, opts)
      return
    }
    case 'verify': {
      const old = p.nextOid(cmd, ref, true) ?? ZERO
      p.end(`verify ${ref}`)
      tx.verify(ref, old === ZERO ? null : old)
      return
    }
    case 'symref-update': {
      const target = p.nextRefname()
      if (!target) die(`symref-update ${ref}: missing <new-target>`)
      if (p.nextArg() !== null) die('ferrogit update-ref: symref-update with an old value is not supported')
      p.end(`symref-update ${ref}`)
      tx.setSymbolic(ref, target, message !== undefined ? { message } : {})
      return
    }
    default:
      die(`ferrogit update-ref: ${cmd} is not supported`)
  }
}

function updateRef(cwd, args) {
  let message
  let del = false
  let stdin = false
  let nul = false
  let noDeref = false
  const rest = parseOptions(
    args,
    [
      { long: 'm', short: 'm', kind: 'string', hidden: true, noNegate: true, set: (v) => (message = v) },
      { long: 'd', short: 'd', kind: 'bool', hidden: true, set: (v, neg) => (del = !neg) },
      { long: 'z', short: 'z', kind: 'bool', hidden: true, set: (v, neg) => (nul = !neg) },
      { long: 'no-deref', kind: 'bool', set: (v, neg) => (noDeref = !neg) },
      { long: 'stdin', kind: 'bool', set: (v, neg) => (stdin = !neg) },
      { long: 'create-reflog', kind: 'bool', set: () => {} },
    ],
    UPDATE_REF_USAGE,
  )
  if (message !== undefined && message === '') die('Refusing to perform update with empty message.')
  const repo = openRepo(cwd)
  const usage = () => {
    process.stderr.write(UPDATE_REF_USAGE)
    throw new Exit(129)
  }
  if (stdin) {
    if (del || rest.length) usage()
    return updateRefStdin(repo, message, nul, noDeref)
  }
  if (nul) usage()
  if (del ? rest.length < 1 || rest.length > 2 : rest.length < 2 || rest.length > 3) usage()
  const ref = rest[0]
  const value = del ? undefined : rest[1]
  const oldval = del ? rest[1] : rest[2]
  const nw = del ? ZERO : readOid(repo, value) ?? die(`${value}: not a valid SHA1`)
  let old
  if (oldval !== undefined) old = oldval === '' ? ZERO : readOid(repo, oldval) ?? die(`${oldval}: not a valid old SHA1`)
  const tx = repo.refs.transaction()
  if (del) {
    // git's refs_delete_ref: an all-zero <old-oid> checks nothing; a failure is an error, exit 1.
    queueUpdate(tx, ref, ZERO, old === ZERO ? undefined : old, message, noDeref)
    try {
      tx.commitSync()
    } catch (e) {
      if (!(e instanceof GitError)) throw e
      process.stderr.write(`error: ${refErrorText(e, ref)}\n`)
      throw new Exit(1)
    }
    return
  }
  queueUpdate(tx, ref, nw, old, message, noDeref)
  refCall(() => tx.commitSync(), `update_ref failed for ref '${ref}': `, ref)
}

function packRefs(cwd, args) {
  let all = false
  let prune = true
  for (const a of args) {
    if (a === '--all') all = true
    else if (a === '--no-prune') prune = false
    else if (a === '--prune') prune = true
    else die(`unknown option '${a}'`, 129)
  }
  openRepo(cwd).refs.packRefsSync({ all, prune })
}

function main(argv) {
  let cwd = process.cwd()
  while (argv[0] === '-C') {
    if (argv.length < 2) die('-C needs a path', 129)
    cwd = path.resolve(cwd, argv[1])
    argv = argv.slice(2)
  }
  const [cmd, ...args] = argv
  switch (cmd) {
    case 'log':
      return log(cwd, args)
    case 'cat-file':
      return catFile(cwd, args)
    case 'rev-parse':
      return revParse(cwd, args)
    case 'show-ref':
      return showRef(cwd, args)
    case 'for-each-ref':
      return forEachRef(cwd, args)
    case 'symbolic-ref':
      return symbolicRef(cwd, args)
    case 'update-ref':
      return updateRef(cwd, args)
    case 'pack-refs':
      return packRefs(cwd, args)
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      out(USAGE)
      return
    default:
      die(`'${cmd}' is not a ferrogit command. See 'ferrogit --help'.`, 1)
  }
}

async function run() {
  try {
    // update-ref --stdin reads its input as it arrives, asynchronously; the rest is synchronous.
    await main(process.argv.slice(2))
  } catch (e) {
    if (e instanceof Exit) process.exitCode = e.exitCode
    else if (e instanceof GitError) {
      process.stderr.write(`fatal: ${e.message} [${e.code}]\n`)
      process.exitCode = 128
    } else throw e
  } finally {
    flushPending()
  }
}

run()
