#!/usr/bin/env node
'use strict'
// ferrogit's command line: a few git plumbing commands whose output matches
// git's byte for byte, built on the library (no git process is spawned).
//
//   ferrogit [-C <path>] log [<options>] [<repo>] [<revision-range>] [[--] <path>...]
//   ferrogit [-C <path>] rev-list [<options>] <commit>... [--] [<path>...]
//   ferrogit [-C <path>] ls-tree [-d] [-r] [-t] [-l] [-z] [--name-only | --object-only | --format=<fmt>] [--abbrev[=<n>]] <tree-ish> [<path>...]
//   ferrogit [-C <path>] diff-tree [-r] [-t] [-m] [-s] [--root] [--no-commit-id] [--raw | --name-only | --name-status] [-z] [--abbrev[=<n>]] <tree-ish> [<tree-ish>] [[--] <path>...]
//   ferrogit [-C <path>] merge-base [--is-ancestor] <commit> <commit>
//   ferrogit [-C <path>] cat-file (-p | -t | -s | -e | <type>) <rev>
//   ferrogit [-C <path>] cat-file (--batch | --batch-check)[=<format>] [--buffer]
//   ferrogit [-C <path>] hash-object [-t <type>] [--literally] [--stdin] [--stdin-paths] [--] <file>...
//   ferrogit [-C <path>] rev-parse <rev>...
//   ferrogit [-C <path>] show-ref [--head] [--branches] [--tags] [-d] [-s[=<n>]] [--abbrev[=<n>]] [-q] [<pattern>...]
//   ferrogit [-C <path>] show-ref --verify [-q] [-d] [-s[=<n>]] [<ref>...]
//   ferrogit [-C <path>] show-ref --exists <ref>
//   ferrogit [-C <path>] for-each-ref [--format=<fmt>] [--sort=<key>]... [--count=<n>] [--exclude=<pattern>]... [<pattern>...]
//   ferrogit [-C <path>] symbolic-ref [-q] [--short] [--no-recurse] <name>
//   ferrogit [-C <path>] symbolic-ref [-m <reason>] <name> <ref> | symbolic-ref -d <name>
//   ferrogit [-C <path>] update-ref [-m <reason>] [--no-deref] (-d <ref> [<old>] | <ref> <new> [<old>] | --stdin [-z])
//   ferrogit [-C <path>] pack-refs [--all] [--no-prune]
//   ferrogit [-C <path>] clone [--bare] [--filter=<spec>] [--depth=<n>] [-b <branch>] [-q] [--[no-]progress] <url> [<dir>]
const path = require('node:path')
const fs = require('node:fs')
const { Repository, GitError } = require('..')

const USAGE = `usage: ferrogit [-C <path>] <command> [<args>]

commands:
  log [-n <N>] [--oneline | --format=<fmt>] [--topo-order | --date-order] [--first-parent]
      [<repo>] [<revision-range>] [[--] <path>...]
                                                 history, as git log (default: --oneline)
  rev-list [-n <N>] [--count] [--topo-order | --date-order] [--first-parent] [--reverse]
      <commit>... [^<commit>] [<a>..<b>] [--] [<path>...]
                                                 commit ids, as git rev-list
  ls-tree [-r] [-t] [-d] [-l] [-z] [--name-only | --object-only] [--abbrev[=<n>]] <tree-ish> [<path>...]
                                                 list a tree, as git ls-tree
  diff-tree [-r] [-t] [-m] [-s] [--root] [--name-only | --name-status] [-z] <tree-ish> [<tree-ish>] [-- <path>...]
                                                 compare trees, as git diff-tree --raw
  merge-base [--is-ancestor] <commit> <commit>   best common ancestor, as git merge-base
  cat-file (-p | -t | -s | -e | <type>) <rev>    show an object, as git cat-file
  cat-file (--batch | --batch-check)[=<format>]  objects named on stdin, as git cat-file --batch
  hash-object [-t <type>] [--stdin] <file>...    object ids of files (not written), as git hash-object
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
  clone [--bare] [--filter=<spec>] [--depth=<n>] [-b <branch>] [-q] [--[no-]progress] <url> [<dir>]
                                                 clone a repository (path, file://, git://, http(s)://), as git clone
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
    const rec = await this.nextRaw()
    return rec === null ? null : rec.toString('utf8')
  }

  /** The next record's bytes (with its terminator, when it has one), or null at the end of input. */
  async nextRaw() {
    for (let from = 0; ; ) {
      const i = this.buf.indexOf(this.term, from)
      if (i >= 0) {
        const rec = this.buf.subarray(0, i + 1)
        this.buf = this.buf.subarray(i + 1)
        return rec
      }
      if (this.eof) {
        if (!this.buf.length) return null
        const rec = this.buf
        this.buf = Buffer.alloc(0)
        return rec
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

// ---------------------------------------------------------------------------
// History and trees: rev-list, log, ls-tree, diff-tree, merge-base; cat-file --batch; hash-object.
// Output is built as latin1 strings (one char per byte, see `bytes`) and written with `emit`.

const AMBIGUOUS_HINT = "Use '--' to separate paths from revisions, like this:\n'git <command> [<revision>...] -- [<file>...]'"

/** Library errors that say something is broken rather than "no such revision". */
const HARD_ERRORS = new Set(['ERR_CORRUPT_OBJECT', 'ERR_CORRUPT_PACK', 'ERR_IO', 'ERR_INTERNAL', 'ERR_CLOSED', 'ERR_NOT_A_REPOSITORY', 'ERR_UNSUPPORTED_EXTENSION'])

/** Resolve a revision to an object id, or null when it names nothing (git's get_oid_with_context failing). */
function tryRevParse(repo, spec) {
  try {
    return repo.revParseSync(spec)
  } catch (e) {
    if (e instanceof GitError && !HARD_ERRORS.has(e.code)) return null
    throw e
  }
}

/** Follow tags from `oid`: `{ oid, type }` of the first object that is not a tag. */
function peelTags(repo, oid) {
  let cur = oid
  for (let n = 0; n < 1000; n++) {
    const type = repo.objectHeaderSync(cur).type
    if (type !== 'tag') return { oid: cur, type }
    cur = repo.readObjectSync(cur).targetId
  }
  return { oid: cur, type: 'tag' }
}

/** The commit `oid` names (tags peeled), or null for a tree or a blob. */
function peelToCommit(repo, oid) {
  const p = peelTags(repo, oid)
  return p.type === 'commit' ? p.oid : null
}

/** git's lookup_commit_reference for a command-line name: the commit, or git's error and death. */
function commitArg(repo, name) {
  const oid = tryRevParse(repo, name)
  if (!oid || !repo.hasObject(oid)) die(`Not a valid object name ${name}`)
  const p = peelTags(repo, oid)
  if (p.type !== 'commit') {
    process.stderr.write(`error: object ${p.oid} is a ${p.type}, not a commit\n`)
    die(`Not a valid commit name ${name}`)
  }
  return p.oid
}

/**
 * Where the command runs, for pathspecs and filename checks: `inWorkTree` (cwd is in the work
 * tree, outside the git dir) and `prefix`, cwd's path in the work tree ('' or ending in '/').
 */
function workContext(repo, cwd) {
  const ctx = { cwd, inWorkTree: false, prefix: '', root: repo.workdir ?? repo.gitDir ?? cwd }
  const wd = repo.workdir
  if (!wd) return ctx
  let rel
  try {
    rel = path.relative(fs.realpathSync(wd), fs.realpathSync(cwd))
  } catch {
    return ctx
  }
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return ctx
  const parts = rel ? rel.split(path.sep) : []
  if (parts[0] === '.git') return ctx
  ctx.inWorkTree = true
  ctx.prefix = parts.length ? `${parts.join('/')}/` : ''
  ctx.root = ctx.root.replace(/\/+$/, '')
  return ctx
}

/** git's looks_like_pathspec: a glob or magic pathspec (which this CLI does not support). */
const looksLikePathspec = (arg) => /[*?[\\]/.test(arg) || arg.startsWith(':(')

/** git's check_filename: does `arg` name something on disk (relative to cwd)? */
function isFilename(ctx, arg) {
  if (arg === '') return false
  try {
    fs.lstatSync(path.resolve(ctx.cwd, arg))
    return true
  } catch {
    return false
  }
}

/** git's verify_non_filename: a revision that is also a file in the work tree is ambiguous. */
function verifyNonFilename(ctx, arg) {
  if (!ctx.inWorkTree || arg.startsWith('-')) return
  if (isFilename(ctx, arg)) die(`ambiguous argument '${arg}': both revision and filename\n${AMBIGUOUS_HINT}`)
}

/** git's verify_filename: an argument taken as a path (no `--`) must exist. */
function verifyFilename(ctx, arg, first) {
  if (arg.startsWith('-')) die(`option '${arg}' must come before non-option arguments`)
  if (looksLikePathspec(arg) || isFilename(ctx, arg)) return
  if (first) die(`ambiguous argument '${arg}': unknown revision or path not in the working tree.\n${AMBIGUOUS_HINT}`)
  die(`${arg}: no such path in the working tree.\nUse 'git <command> -- <path>...' to specify paths that do not exist locally.`)
}

/**
 * One pathspec as git's prefix_path makes it: relative to the repository root, `.` and `..`
 * resolved, a trailing `/` kept (it matches directories only); '' matches everything.
 * Wildcards and magic are not supported.
 */
function pathspec(ctx, arg, literal = false) {
  if (arg === '') die('empty string is not a valid pathspec. please use . instead if you meant to match all paths')
  if (arg.startsWith(':') || (!literal && looksLikePathspec(arg))) die(`ferrogit: pathspec magic and wildcards are not supported: '${arg}'`)
  const full = ctx.prefix + arg
  const parts = []
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (!parts.length) die(`${arg}: '${arg}' is outside repository at '${ctx.root}'`)
      parts.pop()
    } else parts.push(part)
  }
  const s = parts.join('/')
  return s && /(^|\/)\.{0,2}$/.test(full) ? `${s}/` : s
}

/**
 * git's handle_revision_arg: adds `{ oid, not, name }` to `pending` (objects as named, not
 * peeled) and returns true, or returns false when `arg` is not a revision. `not` is --not's state.
 */
function revisionArg(repo, ctx, arg, not, pending, cantBeFilename) {
  const dd = arg.indexOf('..')
  if (dd >= 0) {
    const symmetric = arg[dd + 2] === '.'
    const a = arg.slice(0, dd)
    const b = arg.slice(dd + (symmetric ? 3 : 2))
    if (a || b || symmetric) {
      const ao = tryRevParse(repo, a || 'HEAD')
      const bo = ao && tryRevParse(repo, b || 'HEAD')
      if (ao && bo) {
        if (!cantBeFilename) verifyNonFilename(ctx, arg)
        if (symmetric) return symmetricDifference(repo, arg, ao, bo, a || 'HEAD', b || 'HEAD', not, pending)
        if (!repo.hasObject(ao) || !repo.hasObject(bo)) die(`Invalid revision range ${arg}`)
        pending.push({ oid: ao, not: !not, name: a || 'HEAD' }, { oid: bo, not, name: b || 'HEAD' })
        return true
      }
    }
  }
  const parentsOf = (name) => {
    const oid = tryRevParse(repo, name)
    const commit = oid && repo.hasObject(oid) ? peelToCommit(repo, oid) : null
    return commit ? repo.getCommitSync(commit).parentIds : null
  }
  let mark = arg.indexOf('^@')
  if (mark >= 0 && mark === arg.length - 2) {
    const parents = parentsOf(arg.slice(0, mark))
    if (parents) {
      for (const p of parents) pending.push({ oid: p, not, name: arg })
      return true
    }
  }
  mark = arg.indexOf('^!')
  if (mark >= 0 && mark === arg.length - 2) {
    const parents = parentsOf(arg.slice(0, mark))
    if (parents) {
      for (const p of parents) pending.push({ oid: p, not: !not, name: arg })
      arg = arg.slice(0, mark)
    }
  }
  mark = arg.indexOf('^-')
  if (mark >= 0) {
    let nth = 1
    const n = arg.slice(mark + 2)
    if (n) {
      if (!/^[+-]?\d+$/.test(n) || (nth = parseInt(n, 10)) < 1) return false
    }
    const parents = parentsOf(arg.slice(0, mark))
    if (parents && parents.length >= nth) {
      pending.push({ oid: parents[nth - 1], not: !not, name: arg })
      arg = arg.slice(0, mark)
    }
  }
  let local = not
  if (arg.startsWith('^')) {
    local = !not
    arg = arg.slice(1)
  }
  const oid = tryRevParse(repo, arg)
  if (!oid) return false
  if (!cantBeFilename) verifyNonFilename(ctx, arg)
  if (!repo.hasObject(oid)) die(`bad object ${arg}`)
  pending.push({ oid, not: local, name: arg })
  return true
}

/**
 * Is `base` (the library's best merge base of commits `a` and `b`) their only one? Another one
 * would be a common ancestor that `base` does not reach.
 */
function onlyMergeBase(repo, a, b, base) {
  const left = new Set()
  for (const c of repo.logSync({ from: a, hide: base })) left.add(c.oid)
  for (const c of repo.logSync({ from: b, hide: base })) if (left.has(c.oid)) return false
  return true
}

/**
 * `A...B`: the merge base (hidden), then A and B. The library finds one best merge base; when
 * there are several (criss-cross merges), git hides them all, which is not supported here.
 */
function symmetricDifference(repo, arg, ao, bo, aName, bName, not, pending) {
  const ac = repo.hasObject(ao) && peelToCommit(repo, ao)
  const bc = repo.hasObject(bo) && peelToCommit(repo, bo)
  if (!ac || !bc) die(`Invalid symmetric difference expression ${arg}`)
  const base = repo.mergeBaseSync(ac, bc)
  if (base !== null) {
    if (!onlyMergeBase(repo, ac, bc, base)) die(`ferrogit: ${arg}: more than one merge base is not supported`)
    pending.push({ oid: base, not: !not, name: arg })
  }
  pending.push({ oid: ao, not, name: aName }, { oid: bo, not, name: bName })
  return true
}

/** `--all` (every ref, then HEAD), `--branches`, `--tags`: their objects, in git's order. */
function addRefs(repo, which, not, pending) {
  const prefix = which === '--all' ? 'refs/' : which === '--branches' ? 'refs/heads/' : 'refs/tags/'
  for (const ref of repo.refs.listSync(prefix)) {
    const end = chainEnd(ref)
    if (end && repo.hasObject(end.oid)) pending.push({ oid: end.oid, not, name: ref.name })
  }
  if (which === '--all') {
    const head = resolveName(repo, 'HEAD')
    if (head && head.oid && repo.hasObject(head.oid)) pending.push({ oid: head.oid, not, name: 'HEAD' })
  }
}

/**
 * git's setup_revisions over `args`: options to `hooks.option(argv, i)` (how many arguments it
 * used; 0 for an unknown option, then `hooks.unknown(arg)`), revisions and --all/--branches/--tags
 * into `pending`, paths (after `--`, or from the first argument that is not a revision, which must
 * then all exist) into `paths`. `hooks.positional(arg)` may claim a positional argument first.
 * The repository is opened (`getRepo`) at the first revision.
 */
function setupRevisions(args, getRepo, hooks) {
  const dd = args.indexOf('--')
  const argv = dd < 0 ? args : args.slice(0, dd)
  const res = { pending: [], paths: dd < 0 ? [] : args.slice(dd + 1), revGiven: false, ctx: null }
  const context = () => res.ctx ?? (res.ctx = workContext(getRepo(), hooks.cwd))
  let not = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a.startsWith('-')) {
      if (a === '--not') {
        not = !not
        continue
      }
      if (a === '--all' || a === '--branches' || a === '--tags') {
        addRefs(getRepo(), a, not, res.pending)
        res.revGiven = true
        continue
      }
      const used = hooks.option(argv, i)
      if (!used) hooks.unknown(a)
      i += used - 1
      continue
    }
    if (hooks.positional && hooks.positional(a)) continue
    const repo = getRepo()
    if (revisionArg(repo, context(), a, not, res.pending, dd >= 0)) {
      res.revGiven = true
      continue
    }
    if (dd >= 0 || a.startsWith('^')) die(`bad revision '${a}'`)
    for (let j = i; j < argv.length; j++) verifyFilename(context(), argv[j], j === i)
    res.paths = argv.slice(i)
    break
  }
  return res
}

/** Options of git's revision walk (and log's output) that this CLI does not implement. */
const GIT_REVISION_OPTIONS = new RegExp(
  '^(-[pugSGLW]|--(graph|stat|patch|patch-with-stat|patch-with-raw|raw|numstat|shortstat|dirstat|summary|name-only|' +
    'name-status|decorate|decorate-refs|decorate-refs-exclude|follow|grep|author|committer|since|after|until|before|' +
    'max-age|min-age|cherry|cherry-pick|cherry-mark|left-right|left-only|right-only|boundary|source|walk-reflogs|' +
    'no-walk|do-walk|simplify-by-decoration|simplify-merges|full-history|ancestry-path|dense|sparse|show-signature|' +
    'color|objects|objects-edge|parents|children|header|pretty|format|timestamp|bisect|bisect-all|bisect-vars|' +
    'disk-usage|quiet|stdin|exclude|remotes|glob|reflog|alternate-refs|exclude-hidden|single-worktree|' +
    'indexed-objects|unpacked|in-commit-order|object-names|no-object-names|abbrev|abbrev-commit|no-abbrev|' +
    'relative-date|invert-grep|all-match|regexp-ignore-case|basic-regexp|extended-regexp|fixed-strings|' +
    'perl-regexp|remove-empty|show-pulls|exclude-first-parent-only|author-date-order|cc|combined-all-paths|' +
    'diff-merges|remerge-diff|no-diff-merges|show-linear-break|encoding|expand-tabs|no-expand-tabs|notes|' +
    'show-notes|no-notes|mailmap|use-mailmap|no-mailmap|no-use-mailmap|log-size|line-prefix|full-diff|' +
    'clear-decorations|date|branches|tags|ignore-missing|no-min-parents|max-parents|min-parents))([=]|$)',
)

/** An option git knows (but this CLI does not) is refused as such; others as git refuses them. */
function unknownRevisionOption(cmd, a, otherwise) {
  if (GIT_REVISION_OPTIONS.test(a)) die(`ferrogit ${cmd}: option '${a}' is not supported`)
  otherwise()
}

/** A non-negative or negative int as git's parse_count (strtol_i) takes it. */
function parseCount(v) {
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(v)) die(`'${v}': not an integer`)
  const n = parseInt(v, 10)
  if (n > 2147483647 || n < -2147483648) die(`'${v}': not an integer`)
  return n
}

/** What to walk and show, shared by rev-list and log. */
function newSelection() {
  return { limit: -1, skip: 0, order: 'none', firstParent: false, reverse: false, minParents: 0, maxParents: -1 }
}

/** The commit-selection options of git's setup_revisions: how many arguments used, 0 if unknown. */
function selectionOption(argv, i, sel) {
  const a = argv[i]
  let m
  const longOpt = (name) => {
    if (a === `--${name}`) {
      if (i + 1 >= argv.length) die(`Option '--${name}' requires a value`)
      return [argv[i + 1], 2]
    }
    if (a.startsWith(`--${name}=`)) return [a.slice(name.length + 3), 1]
    return null
  }
  if ((m = longOpt('max-count'))) {
    sel.limit = parseCount(m[0])
    return m[1]
  }
  if ((m = longOpt('skip'))) {
    sel.skip = parseCount(m[0])
    return m[1]
  }
  if ((m = longOpt('min-parents'))) {
    sel.minParents = parseCount(m[0])
    return m[1]
  }
  if ((m = longOpt('max-parents'))) {
    sel.maxParents = parseCount(m[0])
    return m[1]
  }
  if (/^-\d/.test(a)) {
    sel.limit = parseCount(a.slice(1))
    return 1
  }
  if (a === '-n') {
    if (i + 1 >= argv.length) {
      process.stderr.write('error: -n requires an argument\n')
      throw new Exit(128)
    }
    sel.limit = parseCount(argv[i + 1])
    return 2
  }
  if (a.startsWith('-n') && !a.startsWith('--')) {
    sel.limit = parseCount(a.slice(2))
    return 1
  }
  switch (a) {
    case '--topo-order':
      sel.order = 'topo'
      return 1
    case '--date-order':
      sel.order = 'date'
      return 1
    case '--first-parent':
      sel.firstParent = true
      return 1
    case '--reverse':
      sel.reverse = !sel.reverse
      return 1
    case '--no-merges':
      sel.maxParents = 1
      return 1
    case '--merges':
      sel.minParents = 2
      return 1
    case '--no-min-parents':
      sel.minParents = 0
      return 1
    case '--no-max-parents':
      sel.maxParents = -1
      return 1
  }
  return 0
}

/** The commits git's revision walk shows for `pending` and `paths` under `sel`, in order. */
function walkCommits(repo, ctx, sel, pending, paths) {
  const from = []
  const hide = []
  for (const p of pending) {
    // Tags are peeled; trees and blobs are not walked (rev-list without --objects ignores them).
    const commit = peelToCommit(repo, p.oid)
    if (commit) (p.not ? hide : from).push(commit)
  }
  if (!from.length || sel.limit === 0) return []
  const filtered = sel.minParents > 0 || sel.maxParents >= 0 || sel.skip > 0
  const opts = { from, hide, order: sel.order }
  if (sel.firstParent) opts.firstParent = true
  if (paths.length) opts.paths = paths.map((p) => pathspec(ctx, p))
  if (sel.limit > 0 && !filtered) opts.limit = sel.limit
  const out = []
  let skipped = 0
  for (const c of repo.logSync(opts)) {
    if (filtered) {
      const n = c.parentIds.length
      if (n < sel.minParents || (sel.maxParents >= 0 && n > sel.maxParents)) continue
      if (skipped < sel.skip) {
        skipped++
        continue
      }
    }
    out.push(c)
    if (sel.limit > 0 && out.length >= sel.limit) break
  }
  if (sel.reverse) out.reverse()
  return out
}

const REV_LIST_USAGE = `usage: ferrogit rev-list [<options>] <commit>... [--] [<path>...]

  limiting output:
    --max-count=<n> | -n <n> | -<n>
    --skip=<n>
    --no-merges | --merges
    --min-parents=<n> | --max-parents=<n>
    --all | --branches | --tags | --not
    --first-parent
  ordering output:
    --topo-order
    --date-order
    --reverse
  formatting output:
    --count
`

function revList(cwd, args) {
  const sel = newSelection()
  let count = false
  let repo = null
  const getRepo = () => repo ?? (repo = openRepo(cwd))
  const usage = () => {
    process.stderr.write(REV_LIST_USAGE)
    throw new Exit(129)
  }
  const r = setupRevisions(args, getRepo, {
    cwd,
    option(argv, i) {
      if (argv[i] === '--count') {
        count = true
        return 1
      }
      return selectionOption(argv, i, sel)
    },
    unknown: (a) => unknownRevisionOption('rev-list', a, usage),
  })
  if (!r.pending.length && !r.revGiven) usage()
  repo = getRepo()
  const commits = walkCommits(repo, r.ctx ?? workContext(repo, cwd), sel, r.pending, r.paths)
  if (count) emit(`${commits.length}\n`)
  else emit(commits.map((c) => `${c.oid}\n`).join(''))
}

// --- log formats ---------------------------------------------------------------

/** git's isspace (sane_ctype): space, tab, LF, CR only. */
const isGitSpace = (ch) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r'

/** Length of the line at `i` including its LF (git's get_one_line); 0 at the end. */
function oneLine(s, i) {
  if (i >= s.length) return 0
  const eol = s.indexOf('\n', i)
  return (eol < 0 ? s.length : eol + 1) - i
}

/** The line's length without its trailing whitespace (git's is_blank_line: 0 for a blank line). */
function trimmedLength(s, i, len) {
  while (len && isGitSpace(s[i + len - 1])) len--
  return len
}

function skipBlankLines(s, i) {
  for (;;) {
    const len = oneLine(s, i)
    if (!len || trimmedLength(s, i, len)) return i
    i += len
  }
}

/**
 * A commit's text as git's pretty printer sees it (latin1 strings of the bytes, re-encoded to
 * UTF-8 when an `encoding` header says otherwise): `author` / `committer` lines (the last of each),
 * `encoding`, and the message with its subject (lines joined, git's format_subject) and body.
 */
function parseCommitText(buf) {
  let s = buf.toString('latin1')
  const header = (name) => {
    const m = new RegExp(`^${name} (.*)$`, 'm').exec(s.slice(0, s.indexOf('\n\n') >= 0 ? s.indexOf('\n\n') : s.length))
    return m ? m[1] : null
  }
  const encoding = header('encoding')
  if (encoding !== null && !/^utf-?8$/i.test(encoding)) {
    try {
      s = bytes(new TextDecoder(encoding, { fatal: true }).decode(buf))
    } catch {}
  }
  let author = null
  let committer = null
  let messageStart = s.length
  for (let i = 0; i < s.length; ) {
    let eol = s.indexOf('\n', i)
    if (eol < 0) eol = s.length
    if (eol === i) {
      messageStart = i + 1
      break
    }
    const line = s.slice(i, eol)
    if (line.startsWith('author ')) author = line.slice(7)
    else if (line.startsWith('committer ')) committer = line.slice(10)
    i = eol + 1
  }
  const message = s.slice(messageStart)
  const lines = []
  let i = skipBlankLines(message, 0)
  const subjectStart = i
  for (;;) {
    const len = oneLine(message, i)
    const start = i
    i += len
    const kept = len ? trimmedLength(message, start, len) : 0
    if (!kept) break
    lines.push(message.slice(start, start + kept))
  }
  const eol = message.indexOf('\n', subjectStart)
  return {
    author,
    committer,
    encoding,
    message,
    subject: lines.join(' '),
    firstLine: message.slice(subjectStart, eol < 0 ? message.length : eol),
    body: message.slice(skipBlankLines(message, i)),
  }
}

/** git's split_ident_line: `{ name, email, date, tz }` (date/tz null when absent), or null. */
function splitIdent(line) {
  const lt = line.indexOf('<')
  if (lt < 0) return null
  let nameEnd = lt - 1
  while (nameEnd >= 0 && isGitSpace(line[nameEnd])) nameEnd--
  const gt = line.indexOf('>', lt + 1)
  if (gt < 0) return null
  const ident = { name: line.slice(0, nameEnd + 1), email: line.slice(lt + 1, gt), date: null, tz: null }
  let cp = line.lastIndexOf('>') + 1
  while (cp < line.length && isGitSpace(line[cp])) cp++
  const date = /^\d+/.exec(line.slice(cp))
  if (!date) return ident
  cp += date[0].length
  while (cp < line.length && isGitSpace(line[cp])) cp++
  const tz = /^[+-]\d+/.exec(line.slice(cp))
  if (!tz) return ident
  ident.date = date[0]
  ident.tz = tz[0]
  return ident
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
/** `--date=` modes this CLI prints (git's parse_date_format names). */
const DATE_MODES = {
  default: 'default',
  iso: 'iso',
  iso8601: 'iso',
  'iso-strict': 'iso-strict',
  'iso8601-strict': 'iso-strict',
  rfc: 'rfc',
  rfc2822: 'rfc',
  short: 'short',
  raw: 'raw',
  unix: 'unix',
}
const GIT_ONLY_DATE_MODES = /^(relative|local|human|auto|format|format-local)(:|-local|$)|-local$/

function parseDateMode(v) {
  if (v in DATE_MODES) return DATE_MODES[v]
  if (GIT_ONLY_DATE_MODES.test(v)) die(`ferrogit log: --date=${v} is not supported`)
  die(`unknown date format ${v}`)
}

/** git's show_date(time, tz, mode) for an ident's date and tz strings. */
function showDate(dateStr, tzStr, mode) {
  let time = Number(dateStr)
  let tz = parseInt(tzStr, 10)
  if (!Number.isFinite(time)) time = 0
  if (mode === 'unix') return String(time)
  const tzText = (t) => `${t < 0 ? '-' : '+'}${String(Math.abs(t)).padStart(4, '0')}`
  if (mode === 'raw') return `${time} ${tzText(tz)}`
  const abs = Math.abs(tz)
  const minutes = (tz < 0 ? -1 : 1) * (Math.floor(abs / 100) * 60 + (abs % 100))
  if (time < -minutes * 60) die(`Timestamp before Unix epoch: ${time} ${tz < 0 ? `-${String(-tz).padStart(3, '0')}` : String(tz).padStart(4, '0')}`)
  let d = new Date((time + minutes * 60) * 1000)
  if (Number.isNaN(d.getTime())) {
    d = new Date(0)
    tz = 0
  }
  const p2 = (n) => String(n).padStart(2, '0')
  const Y = d.getUTCFullYear()
  const M = d.getUTCMonth()
  const D = d.getUTCDate()
  const hms = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`
  const ymd = `${String(Y).padStart(4, '0')}-${p2(M + 1)}-${p2(D)}`
  switch (mode) {
    case 'short':
      return ymd
    case 'iso':
      return `${ymd} ${hms} ${tzText(tz)}`
    case 'iso-strict':
      return `${ymd}T${hms}${tz === 0 ? 'Z' : `${tz < 0 ? '-' : '+'}${p2(Math.floor(abs / 100))}:${p2(abs % 100)}`}`
    case 'rfc':
      return `${WEEKDAYS[d.getUTCDay()]}, ${D} ${MONTHS[M]} ${Y} ${hms} ${tzText(tz)}`
    default:
      return `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[M]} ${D} ${hms} ${Y} ${tzText(tz)}`
  }
}

/** git's format_sanitized_subject, over the subject's first line. */
function sanitizedSubject(line) {
  let out = ''
  let space = 2
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (/[A-Za-z0-9._]/.test(c)) {
      if (space === 1) out += '-'
      space = 0
      out += c
      if (c === '.') while (line[i + 1] === '.') i++
    } else space |= 1
  }
  return out.replace(/[.-]+$/, '')
}

/** Dies when a mailmap could apply (%aN, %aE, %aL and the committer's are not mapped here). */
function checkNoMailmap(env) {
  if (env.mailmapChecked) return
  env.mailmapChecked = true
  const repo = env.repo
  const has = repo.workdir ? fs.existsSync(path.join(repo.workdir, '.mailmap')) : tryRevParse(repo, 'HEAD:.mailmap') !== null
  if (has) die('ferrogit log: %aN, %aE, %aL (a .mailmap) are not supported')
}

/** git's format_person_part: [consumed, text] for `%a<part>` / `%c<part>`. */
function formatPerson(who, line, part, env) {
  const ident = line === null ? null : splitIdent(line)
  const skip = () => ('netdDri'.includes(part) && part ? [2, ''] : [0, ''])
  if (!ident) return skip()
  switch (part) {
    case 'N':
    case 'E':
    case 'L':
      checkNoMailmap(env)
    // fall through
  }
  switch (part) {
    case 'n':
    case 'N':
      return [2, ident.name]
    case 'e':
    case 'E':
      return [2, ident.email]
    case 'l':
    case 'L': {
      const at = ident.email.indexOf('@')
      return [2, at < 0 ? ident.email : ident.email.slice(0, at)]
    }
  }
  if (ident.date === null) return skip()
  switch (part) {
    case 't':
      return [2, ident.date]
    case 'd':
      return [2, showDate(ident.date, ident.tz, env.dateMode)]
    case 'D':
      return [2, showDate(ident.date, ident.tz, 'rfc')]
    case 'i':
      return [2, showDate(ident.date, ident.tz, 'iso')]
    case 'I':
      return [2, showDate(ident.date, ident.tz, 'iso-strict')]
    case 's':
      return [2, showDate(ident.date, ident.tz, 'short')]
    case 'r':
    case 'h':
      die(`ferrogit log: %${who}${part} is not supported`)
  }
  return [0, '']
}

/** One placeholder after `%` (and its magic), as git's format_commit_one: [consumed, text]. */
function formatOne(f, i, c, env) {
  const ch = f[i]
  const unsupported = () => die(`ferrogit log: the placeholder %${f.slice(i, i + 2)} is not supported`)
  switch (ch) {
    case 'n':
      return [1, '\n']
    case 'x': {
      const h = f.slice(i + 1, i + 3)
      return /^[0-9a-fA-F]{2}$/.test(h) ? [3, String.fromCharCode(parseInt(h, 16))] : [0, '']
    }
    case 'C': {
      // No colour: git colours only a terminal (or `always,`).
      if (f.startsWith('(auto)', i + 1)) return [7, '']
      if (f[i + 1] === '(') {
        const end = f.indexOf(')', i + 2)
        if (end < 0) return [0, '']
        if (f.startsWith('always,', i + 2)) unsupported()
        return [end - i + 1, '']
      }
      for (const name of ['red', 'green', 'blue', 'reset']) if (f.startsWith(name, i + 1)) return [1 + name.length, '']
      return [0, '']
    }
    case 'w':
      if (f[i + 1] === '(') unsupported()
      return [0, '']
    case '<':
    case '>':
      if (f[i + 1] === '(' || ((f[i + 1] === '<' || f[i + 1] === '>') && f[i + 2] === '(')) unsupported()
      return [0, '']
  }
  if (f.startsWith('(describe', i) || f.startsWith('(trailers', i) || f.startsWith('(decorate', i)) {
    die(`ferrogit log: %${f.slice(i, f.indexOf(')', i) + 1 || undefined)} is not supported`)
  }
  switch (ch) {
    case 'H':
      return [1, c.oid]
    case 'h':
      return [1, env.abbrev(c.oid)]
    case 'T':
      return [1, c.treeId]
    case 't':
      return [1, env.abbrev(c.treeId)]
    case 'P':
      return [1, c.parentIds.join(' ')]
    case 'p':
      return [1, c.parentIds.map((p) => env.abbrev(p)).join(' ')]
    case 'm':
      return [1, '>']
    case 'g':
      // Reflog fields: empty, as no reflog is walked.
      return f[i + 1] && 'dDsnNeE'.includes(f[i + 1]) ? [2, ''] : [0, '']
    case 'G':
      if (f[i + 1] && 'GSKFPT?'.includes(f[i + 1])) unsupported()
      return [0, '']
    case 'd':
    case 'D':
    case 'S':
    case 'N':
      return unsupported()
  }
  const p = env.parse(c)
  switch (ch) {
    case 'a':
      return formatPerson('a', p.author, f[i + 1] ?? '', env)
    case 'c':
      return formatPerson('c', p.committer, f[i + 1] ?? '', env)
    case 'e':
      return [1, p.encoding ?? '']
    case 'B':
      return [1, p.message]
    case 's':
      return [1, p.subject]
    case 'f':
      return [1, sanitizedSubject(p.firstLine)]
    case 'b':
      return [1, p.body]
  }
  return [0, '']
}

/** git's repo_format_commit_message: `fmt` (bytes as latin1) expanded for commit `c`. */
function expandCommitFormat(f, c, env) {
  let out = ''
  let i = 0
  while (i < f.length) {
    const pct = f.indexOf('%', i)
    if (pct < 0) {
      out += f.slice(i)
      break
    }
    out += f.slice(i, pct)
    i = pct + 1
    if (f[i] === '%') {
      out += '%'
      i++
      continue
    }
    // format_commit_item: `%-x` drops the line feeds before an empty expansion, `%+x` adds one
    // before a non-empty one, `% x` a space.
    let magic = null
    let at = i
    if (f[at] === '-' || f[at] === '+' || f[at] === ' ') {
      magic = f[at]
      at++
      if (f[at] === 'w') {
        out += '%'
        continue
      }
    }
    const [consumed, text] = at < f.length ? formatOne(f, at, c, env) : [0, '']
    if (!magic) {
      if (!consumed) {
        out += '%'
        continue
      }
      out += text
      i += consumed
      continue
    }
    if (text === '' && magic === '-') out = out.replace(/\n+$/, '')
    else if (text !== '') out += (magic === '+' ? '\n' : magic === ' ' ? ' ' : '') + text
    i += consumed + 1
  }
  return out
}

/** git's get_commit_format for `--pretty=<v>` / `--format=<v>`. */
function parsePretty(v, state) {
  if (v === undefined) die('ferrogit log: --pretty (the medium format) is not supported')
  if (v.startsWith('format:')) {
    state.pretty = { kind: 'user', fmt: v.slice(7), terminator: false }
    return
  }
  if (v === '' || v.startsWith('tformat:') || v.includes('%')) {
    state.pretty = { kind: 'user', fmt: v.startsWith('tformat:') ? v.slice(8) : v, terminator: true }
    return
  }
  // A built-in format by a case-insensitive prefix of its name (the shortest name wins).
  let found = null
  for (const name of ['raw', 'medium', 'short', 'email', 'mboxrd', 'fuller', 'full', 'oneline', 'reference']) {
    if (name.startsWith(v.toLowerCase()) && (found === null || name.length < found.length)) found = name
  }
  if (found === 'oneline') state.pretty = { kind: 'oneline' }
  else if (found !== null) die(`ferrogit log: --pretty=${found} is not supported`)
  else die(`invalid --pretty format: ${v}`)
}

/** Is `p` inside the repository that `cwd` is in (its work tree, or its git dir when bare)? */
function insideRepoOf(cwd, p) {
  let here
  try {
    here = Repository.discoverSync(cwd)
  } catch {
    return false
  }
  const root = here.workdir ?? here.gitDir
  if (!root) return false
  const rel = path.relative(fs.realpathSync(root), fs.realpathSync(p))
  return !(rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))
}

/** A directory that is a repository (a work tree with .git, or a git dir), for `log <repo>`. */
function looksLikeRepo(p) {
  if (!isDir(p)) return false
  return fs.existsSync(path.join(p, '.git')) || (fs.existsSync(path.join(p, 'HEAD')) && isDir(path.join(p, 'objects')))
}

/**
 * git log [<options>] [<revision-range>] [[--] <path>...]: the selection options of rev-list,
 * --oneline (also the default here), --pretty/--format=<fmt> (oneline, format:, tformat:),
 * --date=<mode>, --abbrev-commit. `log [<options>] <repo-dir> [<rev>...]` reads another repository.
 */
function log(cwd, args) {
  const sel = newSelection()
  const state = { pretty: null, abbrevCommit: null, dateMode: 'default', nul: false }
  let repo = null
  let repoPath = null
  const getRepo = () => repo ?? (repo = openRepo(repoPath ?? cwd))
  const r = setupRevisions(args, getRepo, {
    cwd,
    positional(a) {
      // A repository directory as the first argument (outside the repository cwd is in, if any).
      if (repo !== null || repoPath !== null || a === '') return false
      const p = path.resolve(cwd, a)
      if (!looksLikeRepo(p) || insideRepoOf(cwd, p)) return false
      repoPath = p
      return true
    },
    option(argv, i) {
      const a = argv[i]
      if (a === '--oneline') {
        state.pretty = { kind: 'oneline' }
        state.abbrevCommit = true
        return 1
      }
      if (a === '--pretty') {
        parsePretty(undefined, state)
        return 1
      }
      if (a.startsWith('--pretty=') || a.startsWith('--format=')) {
        parsePretty(a.slice(a.indexOf('=') + 1), state)
        return 1
      }
      if (a.startsWith('--date=')) {
        state.dateMode = parseDateMode(a.slice(7))
        return 1
      }
      if (a === '--abbrev-commit' || a === '--no-abbrev-commit') {
        state.abbrevCommit = a === '--abbrev-commit'
        return 1
      }
      if (a === '-z') {
        state.nul = true
        return 1
      }
      if (a === '--no-decorate' || a === '--decorate=no' || a === '--no-color' || a === '--color=never') return 1
      return selectionOption(argv, i, sel)
    },
    unknown: (a) => unknownRevisionOption('log', a, () => die(`unrecognized argument: ${a}`)),
  })
  repo = getRepo()
  const ctx = r.ctx ?? workContext(repo, repoPath ?? cwd)
  const pending = r.pending
  if (!pending.length && !r.revGiven) {
    const head = tryRevParse(repo, 'HEAD')
    if (!head) {
      const target = repo.refs.readSymbolicSync('HEAD')
      if (target !== null) die(`your current branch '${target.replace(/^refs\/heads\//, '')}' does not have any commits yet`)
      die(`ambiguous argument 'HEAD': unknown revision or path not in the working tree.\n${AMBIGUOUS_HINT}`)
    }
    pending.push({ oid: head, not: false, name: 'HEAD' })
  }
  const commits = walkCommits(repo, ctx, sel, pending, r.paths)
  const objs = objectCache(repo)
  const parsed = new Map()
  const env = {
    repo,
    dateMode: state.dateMode,
    abbrev: (oid) => objs.abbrev(oid, -1),
    parse(c) {
      let p = parsed.get(c.oid)
      if (!p) parsed.set(c.oid, (p = parseCommitText(c.raw())))
      return p
    },
  }
  // No format option: --oneline (which abbreviates unless --no-abbrev-commit follows).
  const pretty = state.pretty ?? { kind: 'oneline' }
  const abbrevCommit = state.abbrevCommit ?? state.pretty === null
  // Entries end with (tformat, oneline) or are separated by (format:) a line feed, or NUL with -z.
  const term = state.nul ? '\0' : '\n'
  if (pretty.kind === 'oneline') {
    for (const c of commits) emit(`${abbrevCommit ? env.abbrev(c.oid) : c.oid} ${env.parse(c).subject}${term}`)
    return
  }
  const f = bytes(pretty.fmt)
  commits.forEach((c, k) => {
    if (!pretty.terminator && k > 0) emit(term)
    const text = expandCommitFormat(f, c, env)
    emit(pretty.terminator && f !== '' ? text + term : text)
  })
}

// --- path quoting ----------------------------------------------------------------

let quotePathSetting = null

/** core.quotePath (default true), from the system, global and repository config files. */
function quotePathEnabled(repo) {
  if (quotePathSetting !== null) return quotePathSetting
  const files = []
  if (!process.env.GIT_CONFIG_NOSYSTEM) files.push(process.env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig')
  if (process.env.GIT_CONFIG_GLOBAL !== undefined) files.push(process.env.GIT_CONFIG_GLOBAL)
  else {
    const home = process.env.HOME ?? ''
    files.push(path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'git', 'config'), path.join(home, '.gitconfig'))
  }
  const dir = repo?.commonDir ?? repo?.gitDir
  if (dir) files.push(path.join(dir, 'config'))
  let value = true
  for (const file of files) {
    let text
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch {
      continue
    }
    let inCore = false
    for (const raw of text.split('\n')) {
      let line = raw.trim()
      const section = /^\[([^\]]*)\](.*)$/.exec(line)
      if (section) {
        inCore = section[1].trim().toLowerCase() === 'core'
        line = section[2].trim()
      }
      if (!inCore || !line) continue
      const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line)
      if (!kv || kv[1].toLowerCase() !== 'quotepath') continue
      const v = kv[2] === undefined ? 'true' : kv[2].replace(/\s*[#;].*$/, '').replace(/^"(.*)"$/, '$1').trim().toLowerCase()
      if (['true', 'yes', 'on', '1'].includes(v)) value = true
      else if (['false', 'no', 'off', '0', ''].includes(v)) value = false
    }
  }
  quotePathSetting = value
  return value
}

/**
 * git's quote_c_style for a path (a JS string; the result is its UTF-8 bytes as latin1): unchanged
 * unless it has a control character, `"` or `\` (or, with core.quotePath, a byte >= 0x80), then in
 * double quotes with C escapes (\a \b \t \n \v \f \r \" \\) and octal for the rest.
 */
function quotePath(p, fully = true) {
  const b = Buffer.from(p, 'utf8')
  const must = (c) => c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f || (fully && c >= 0x80)
  if (!b.some(must)) return b.toString('latin1')
  let s = '"'
  for (const c of b) {
    if (!must(c)) s += String.fromCharCode(c)
    else if (c === 0x22) s += '\\"'
    else if (c === 0x5c) s += '\\\\'
    else if (c >= 0x07 && c <= 0x0d) s += `\\${'abtnvfr'[c - 7]}`
    else s += `\\${c.toString(8).padStart(3, '0')}`
  }
  return `${s}"`
}

/** The path as printed: raw with -z, else quoted as git's write_name_quoted. */
function pathOut(repo, p, nul) {
  return nul ? bytes(p) : quotePath(p, quotePathEnabled(repo))
}

const mode6 = (m) => m.toString(8).padStart(6, '0')

// --- ls-tree ---------------------------------------------------------------------

const LS_TREE_USAGE = `usage: ferrogit ls-tree [<options>] <tree-ish> [<path>...]

    -d                    only show trees
    -r                    recurse into subtrees
    -t                    show trees when recursing
    -z                    terminate entries with NUL byte
    -l, --long            include object size
    --name-only           list only filenames
    --name-status         list only filenames
    --object-only         list only objects
    --[no-]full-name      use full path names
    --[no-]full-tree      list entire tree; not just current directory (implies --full-name)
    --format <format>     format to use for the output
    --[no-]abbrev[=<n>]   use <n> digits to display object names
`

/**
 * Is the tree entry at `p` (full path) selected by the literal pathspecs `specs` (git's
 * tree_entry_interesting)? Inside a spec, the spec itself, or a directory leading to one.
 */
function entryInteresting(specs, p, mode) {
  const isDir = mode === 0o40000
  for (const s of specs) {
    if (s === '') return true
    const dirOnly = s.endsWith('/')
    const t = dirOnly ? s.slice(0, -1) : s
    if (p.startsWith(`${t}/`)) return true
    if (p === t && (!dirOnly || isDir || mode === 0o160000)) return true
    if (isDir && t.startsWith(`${p}/`)) return true
  }
  return false
}

/** git ls-tree's show_recursive: does a pathspec lie strictly below the tree at `base + name`? */
function specBelow(specs, base, name) {
  for (const s of specs) {
    if (!s.startsWith(base)) continue
    const rest = s.slice(base.length)
    if (rest.length > name.length && rest[name.length] === '/' && rest.startsWith(name)) return true
  }
  return false
}

function lsTree(cwd, args) {
  const o = { treeOnly: false, recursive: false, showTrees: false, nul: false, long: false, nameOnly: false, objectOnly: false, fullName: false, fullTree: false, abbrev: 0, format: null }
  const cmdmodes = []
  const flag = (key) => (v, neg) => {
    o[key] = !neg
  }
  const mode = (key, name) => (v, neg) => {
    o[key] = !neg
    if (!neg) cmdmodes.push(name)
  }
  const rest = parseOptions(
    args,
    [
      { long: 'd', short: 'd', kind: 'bool', hidden: true, set: flag('treeOnly') },
      { long: 'r', short: 'r', kind: 'bool', hidden: true, set: flag('recursive') },
      { long: 't', short: 't', kind: 'bool', hidden: true, set: flag('showTrees') },
      { long: 'z', short: 'z', kind: 'bool', hidden: true, set: flag('nul') },
      { long: 'long', short: 'l', kind: 'bool', set: mode('long', 'long') },
      { long: 'name-only', kind: 'bool', set: mode('nameOnly', 'name-only') },
      { long: 'name-status', kind: 'bool', set: mode('nameOnly', 'name-status') },
      { long: 'object-only', kind: 'bool', set: mode('objectOnly', 'object-only') },
      { long: 'full-name', kind: 'bool', set: flag('fullName') },
      { long: 'full-tree', kind: 'bool', set: flag('fullTree') },
      { long: 'format', kind: 'string', set: (v) => (o.format = v) },
      { long: 'abbrev', kind: 'optarg', set: (v, neg) => (o.abbrev = neg ? 0 : parseAbbrev(v, 'abbrev', LS_TREE_USAGE)) },
    ],
    LS_TREE_USAGE,
  )
  const modes = [...new Set(cmdmodes)]
  if (modes.length > 1) {
    process.stderr.write(`error: options '--${modes[1]}' and '--${modes[0]}' cannot be used together\n`)
    throw new Exit(129)
  }
  if (o.format !== null && modes.length) {
    process.stderr.write(`fatal: --format can't be combined with other format-altering options\n\n${LS_TREE_USAGE}\n`)
    throw new Exit(129)
  }
  if (!rest.length) {
    process.stderr.write(LS_TREE_USAGE)
    throw new Exit(129)
  }
  // -d -r implies -t.
  if (o.treeOnly && o.recursive) o.showTrees = true
  const repo = openRepo(cwd)
  const ctx = workContext(repo, cwd)
  if (o.fullTree) {
    ctx.prefix = ''
    o.fullName = true
  }
  const [rev, ...paths] = rest
  const oid = tryRevParse(repo, rev)
  if (!oid || !repo.hasObject(oid)) die(`Not a valid object name ${rev}`)
  const tree = tryRevParse(repo, `${oid}^{tree}`)
  if (!tree || !repo.hasObject(tree)) die('not a tree object')
  // ls-tree's paths are literal (no wildcards).
  const specs = paths.map((p) => pathspec(ctx, p, true))
  if (!paths.length && ctx.prefix) specs.push(ctx.prefix)

  const objs = objectCache(repo)
  const term = o.nul ? '\0' : '\n'
  const shown = (p) => (!o.fullName && ctx.prefix ? path.posix.relative(ctx.prefix, p) || './' : p)
  const name = (p) => pathOut(repo, shown(p), o.nul)
  // --format's %(path) is quoted even with -z.
  const quotedName = (p) => pathOut(repo, shown(p), false)
  const size = (e, padded) => {
    if (e.type !== 'blob') return padded ? '      -' : '-'
    const n = String(repo.objectHeaderSync(e.oid).size)
    return padded ? n.padStart(7) : n
  }
  const format = o.format === null ? null : bytes(o.format)
  const line = (e, p) => {
    if (format !== null) return lsTreeFormat(format, e, p, quotedName, size, objs, o.abbrev) + term
    if (o.nameOnly) return name(p) + term
    if (o.objectOnly) return objs.abbrev(e.oid, o.abbrev) + term
    const head = `${mode6(e.mode)} ${e.type} ${objs.abbrev(e.oid, o.abbrev)}`
    return `${o.long ? `${head} ${size(e, true)}` : head}\t${name(p)}${term}`
  }

  const show = (e) => (e.type === 'blob' ? !o.treeOnly : true)
  if (specs.length <= 1 && !o.showTrees && !o.treeOnly) {
    // The library lists what `git ls-tree [-r] [<path>]` shows, in one call.
    const opts = { recursive: o.recursive }
    if (specs.length && specs[0] !== '') opts.prefix = specs[0]
    let text = ''
    for (const e of repo.listFilesSync(tree, opts)) text += line(e, e.path)
    emit(text)
    return
  }
  // git's read_tree with show_tree_common: walk what the pathspecs select.
  const walk = (treeOid, base) => {
    for (const e of repo.readObjectSync(treeOid).entries) {
      const p = base + e.name
      if (specs.length && !entryInteresting(specs, p, e.mode)) continue
      const recurse = e.type === 'tree' && (o.recursive || specBelow(specs, base, e.name))
      if (recurse ? o.showTrees : show(e)) emit(line(e, p))
      if (recurse) walk(e.oid, `${p}/`)
    }
  }
  walk(tree, '')
}

/** ls-tree --format: %(objectmode) %(objecttype) %(objectname) %(objectsize[:padded]) %(path), %n, %xNN, %%. */
function lsTreeFormat(f, e, p, name, size, objs, abbrev) {
  let out = ''
  let i = 0
  while (i < f.length) {
    const pct = f.indexOf('%', i)
    if (pct < 0) {
      out += f.slice(i)
      break
    }
    out += f.slice(i, pct)
    i = pct + 1
    if (f[i] === '%') {
      out += '%'
      i++
    } else if (f[i] === 'n') {
      out += '\n'
      i++
    } else if (f[i] === 'x' && /^[0-9a-fA-F]{2}$/.test(f.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(f.slice(i + 1, i + 3), 16))
      i += 3
    } else if (f[i] !== '(') die(`bad ls-tree format: element '${f.slice(i)}' does not start with '('`)
    else {
      const end = f.indexOf(')', i)
      if (end < 0) die(`bad ls-tree format: element '${f.slice(i)}' does not end in ')'`)
      const atom = f.slice(i + 1, end)
      if (atom === 'objectmode') out += mode6(e.mode)
      else if (atom === 'objecttype') out += e.type
      else if (atom === 'objectname') out += objs.abbrev(e.oid, abbrev)
      else if (atom === 'objectsize') out += size(e, false)
      else if (atom === 'objectsize:padded') out += size(e, true)
      else if (atom === 'path') out += name(p)
      else die(`bad ls-tree format: %${f.slice(i, end + 1)}`)
      i = end + 1
    }
  }
  return out
}

// --- diff-tree -------------------------------------------------------------------

const DIFF_TREE_USAGE = `usage: ferrogit diff-tree [-m] [-s] [--no-commit-id] [-t] [-r] [--root] [--raw | --name-only | --name-status]
              [-z] [--abbrev[=<n>]] <tree-ish> [<tree-ish>] [<path>...]
`

const STATUS_LETTER = { added: 'A', deleted: 'D', modified: 'M', typechange: 'T' }

/** The all-zero id abbreviated as git's find_unique_abbrev does: long enough to name no object. */
function zeroAbbrev(repo, objs, len) {
  if (len < 0) return objs.abbrev(ZERO, -1)
  for (let k = len; k < ZERO.length; k++) {
    try {
      repo.revParseSync(ZERO.slice(0, k))
    } catch (e) {
      if (e instanceof GitError && e.code !== 'ERR_AMBIGUOUS_OID') return ZERO.slice(0, k)
    }
  }
  return ZERO
}

/** A change seen the other way round (-R): the order of a tree diff stays the same. */
function reversedChange(c) {
  const status = c.status === 'added' ? 'deleted' : c.status === 'deleted' ? 'added' : c.status
  return { status, path: c.path, oldOid: c.newOid, newOid: c.oldOid, oldMode: c.newMode, newMode: c.oldMode }
}

/** The entry at `p` in tree `tree` ({ oid, mode }), or null. */
function entryAt(repo, tree, p) {
  if (!tree) return null
  for (const e of repo.listFilesSync(tree, { prefix: p, recursive: false })) if (e.path === p) return e
  return null
}

/**
 * `changes` (git diff-tree -r, in order) with -t's tree lines: each changed directory, before
 * the first change inside it.
 */
function withTreeLines(repo, changes, a, b) {
  const out = []
  const seen = new Set()
  for (const c of changes) {
    const parts = c.path.split('/')
    for (let k = 1; k < parts.length; k++) {
      const dir = parts.slice(0, k).join('/')
      if (seen.has(dir)) continue
      seen.add(dir)
      const old = entryAt(repo, a, dir)
      const nw = entryAt(repo, b, dir)
      const ot = old && old.mode === 0o40000 ? old : null
      const nt = nw && nw.mode === 0o40000 ? nw : null
      out.push({
        status: !ot ? 'added' : !nt ? 'deleted' : 'modified',
        path: dir,
        oldOid: ot ? ot.oid : null,
        newOid: nt ? nt.oid : null,
        oldMode: ot ? 0o40000 : null,
        newMode: nt ? 0o40000 : null,
      })
    }
    out.push(c)
  }
  return out
}

function diffTree(cwd, args) {
  const o = { recursive: false, trees: false, root: false, commitId: true, output: 'raw', nul: false, abbrev: 40, merges: false, reverse: false }
  let repo = null
  const getRepo = () => repo ?? (repo = openRepo(cwd))
  const r = setupRevisions(args, getRepo, {
    cwd,
    option(argv, i) {
      const a = argv[i]
      switch (a) {
        case '-r':
          o.recursive = true
          return 1
        case '-t':
          o.recursive = o.trees = true
          return 1
        case '--root':
          o.root = true
          return 1
        case '--no-commit-id':
          o.commitId = false
          return 1
        case '-s':
        case '--no-patch':
          o.output = 'none'
          return 1
        case '--raw':
        case '--name-only':
        case '--name-status':
          o.output = a.slice(2)
          return 1
        case '-z':
          o.nul = true
          return 1
        case '-m':
          o.merges = true
          return 1
        case '-R':
          o.reverse = true
          return 1
        case '--full-index':
          return 1
        case '--abbrev':
          o.abbrev = -1
          return 1
        case '--no-abbrev':
          o.abbrev = 40
          return 1
      }
      if (a.startsWith('--abbrev=')) {
        const v = parseInt(a.slice(9), 10) || 0
        o.abbrev = Math.min(40, Math.max(4, v))
        return 1
      }
      return 0
    },
    unknown: (a) => die(`ferrogit diff-tree: option '${a}' is not supported`, 129),
  })
  const pending = r.pending
  if (!pending.length) {
    process.stderr.write(DIFF_TREE_USAGE)
    throw new Exit(129)
  }
  repo = getRepo()
  const ctx = r.ctx ?? workContext(repo, cwd)
  const specs = r.paths.map((p) => pathspec(ctx, p))
  const objs = objectCache(repo)
  const term = o.nul ? '\0' : '\n'
  const hex = (oid) => {
    if (o.abbrev >= 40) return oid ?? ZERO
    return oid === null ? zeroAbbrev(repo, objs, o.abbrev) : objs.abbrev(oid, o.abbrev)
  }

  /** The changes from tree-ish `a` (null: nothing) to `b`, pathspec-limited, as lines. */
  const diffText = (a, b) => {
    let changes = repo.diffTreesSync(a, b, { recursive: o.recursive })
    if (o.trees) changes = withTreeLines(repo, changes, a && tryRevParse(repo, `${a}^{tree}`), tryRevParse(repo, `${b}^{tree}`))
    if (o.reverse) changes = changes.map(reversedChange)
    if (specs.length) changes = changes.filter((c) => entryInteresting(specs, c.path, c.newMode ?? c.oldMode))
    let text = ''
    for (const c of changes) {
      const p = pathOut(repo, c.path, o.nul)
      const s = STATUS_LETTER[c.status]
      if (o.output === 'none') continue
      if (o.output === 'name-only') text += p + term
      else if (o.output === 'name-status') text += `${s}${o.nul ? '\0' : '\t'}${p}${term}`
      else text += `:${mode6(c.oldMode ?? 0)} ${mode6(c.newMode ?? 0)} ${hex(c.oldOid)} ${hex(c.newOid)} ${s}${o.nul ? '\0' : '\t'}${p}${term}`
    }
    return { text, empty: changes.length === 0 }
  }

  if (pending.length === 2) {
    let [t1, t2] = pending
    if (t2.not) [t1, t2] = [t2, t1]
    for (const t of [t1, t2]) if (!tryRevParse(repo, `${t.oid}^{tree}`)) die(`unable to read tree (${t.oid})`)
    emit(diffText(t1.oid, t2.oid).text)
    return
  }
  if (pending.length > 2) return
  // One commit: against its parents (merges only with -m), its id first when there is a difference.
  const p = peelTags(repo, pending[0].oid)
  if (p.type !== 'commit') {
    process.stderr.write(`error: object ${p.oid} is a ${p.type}, not a commit\n`)
    return
  }
  const parents = repo.getCommitSync(p.oid).parentIds
  const against = parents.length === 0 ? (o.root ? [null] : []) : parents.length > 1 && !o.merges ? [] : parents
  for (const parent of against) {
    const d = diffText(parent, p.oid)
    if (d.empty) continue
    if (o.commitId) emit(p.oid + term)
    emit(d.text)
  }
}

// --- merge-base ------------------------------------------------------------------

const MERGE_BASE_USAGE = `usage: ferrogit merge-base [-a | --all] <commit> <commit>
   or: ferrogit merge-base --is-ancestor <commit> <commit>
`

function mergeBase(cwd, args) {
  let isAncestor = false
  let all = false
  const notSupported = (name) => () => die(`ferrogit merge-base: --${name} is not supported`)
  const rest = parseOptions(
    args,
    [
      { long: 'all', short: 'a', kind: 'bool', set: (v, neg) => (all = !neg) },
      { long: 'octopus', kind: 'bool', set: notSupported('octopus') },
      { long: 'independent', kind: 'bool', set: notSupported('independent') },
      { long: 'is-ancestor', kind: 'bool', set: (v, neg) => (isAncestor = !neg) },
      { long: 'fork-point', kind: 'bool', set: notSupported('fork-point') },
    ],
    MERGE_BASE_USAGE,
  )
  if (rest.length < 2 || (isAncestor && rest.length !== 2)) {
    process.stderr.write(MERGE_BASE_USAGE)
    throw new Exit(129)
  }
  if (rest.length > 2) die('ferrogit merge-base: more than two commits are not supported')
  const repo = openRepo(cwd)
  const [a, b] = rest.map((name) => commitArg(repo, name))
  const base = repo.mergeBaseSync(a, b)
  if (isAncestor) throw new Exit(base === a ? 0 : 1)
  if (base === null) throw new Exit(1)
  // --all: the library finds the best merge base; print it when it is the only one.
  if (all && !onlyMergeBase(repo, a, b, base)) die('ferrogit merge-base: --all with more than one merge base is not supported')
  emit(`${base}\n`)
}

// --- cat-file --batch / --batch-check ----------------------------------------------

const CAT_FILE_USAGE = `usage: ferrogit cat-file (-p | -t | -s | -e | <type>) <object>
   or: ferrogit cat-file (--batch | --batch-check)[=<format>] [--buffer]
`

/** Parse a --batch format: literal runs and atoms (git's expand_format; dies on a bad one). */
function compileBatchFormat(f) {
  const parts = []
  let lit = ''
  for (let i = 0; i < f.length; ) {
    const pct = f.indexOf('%', i)
    if (pct < 0) {
      lit += f.slice(i)
      break
    }
    lit += f.slice(i, pct)
    i = pct + 1
    if (f[i] === '%') {
      lit += '%'
      i++
    } else if (f[i] !== '(') lit += '%'
    else {
      const end = f.indexOf(')', i + 1)
      if (end < 0) die(`bad cat-file format: element '${f.slice(i)}' does not end in ')'`)
      const atom = f.slice(i + 1, end)
      if (!['objectname', 'objecttype', 'objectsize', 'rest'].includes(atom)) {
        if (['objectsize:disk', 'deltabase', 'objectmode'].includes(atom)) die(`ferrogit cat-file: %(${atom}) is not supported`)
        die(`bad cat-file format: %(${atom})`)
      }
      if (lit) parts.push(lit)
      lit = ''
      parts.push({ atom })
      i = end + 1
    }
  }
  if (lit) parts.push(lit)
  return parts
}

async function catFileBatch(cwd, args) {
  let batch = null
  let buffer = false
  const batchOpt = (kind) => (v, neg) => {
    if (neg) return
    if (batch) {
      process.stderr.write('error: only one batch option may be specified\n')
      throw new Exit(129)
    }
    batch = { kind, format: v ?? '%(objectname) %(objecttype) %(objectsize)' }
  }
  const notSupported = (name) => () => die(`ferrogit cat-file: --${name} is not supported`)
  const rest = parseOptions(
    args,
    [
      { long: 'batch', kind: 'optarg', set: batchOpt('batch') },
      { long: 'batch-check', kind: 'optarg', set: batchOpt('check') },
      { long: 'batch-command', kind: 'optarg', set: notSupported('batch-command') },
      { long: 'batch-all-objects', kind: 'bool', set: notSupported('batch-all-objects') },
      { long: 'buffer', kind: 'bool', set: (v, neg) => (buffer = !neg) },
      { long: 'unordered', kind: 'bool', set: () => {} },
      { long: 'follow-symlinks', kind: 'bool', set: notSupported('follow-symlinks') },
      { long: 'textconv', kind: 'bool', set: notSupported('textconv') },
      { long: 'filters', kind: 'bool', set: notSupported('filters') },
      { long: 'z', short: 'z', kind: 'bool', hidden: true, set: () => die('ferrogit cat-file: -z is not supported') },
      { long: 'Z', short: 'Z', kind: 'bool', hidden: true, set: () => die('ferrogit cat-file: -Z is not supported') },
    ],
    CAT_FILE_USAGE,
  )
  if (rest.length) {
    process.stderr.write(`fatal: batch modes take no arguments\n\n${CAT_FILE_USAGE}`)
    throw new Exit(129)
  }
  const parts = compileBatchFormat(bytes(batch.format))
  const split = parts.some((p) => p.atom === 'rest')
  const repo = openRepo(cwd)
  const reader = new RecordReader(process.stdin, 10)
  const chunks = []
  let size = 0
  const write = (buf) => {
    if (!buffer) return process.stdout.write(buf)
    chunks.push(buf)
    size += buf.length
    if (size >= 1 << 20) {
      process.stdout.write(Buffer.concat(chunks))
      chunks.length = size = 0
    }
  }
  try {
    for (let rec; (rec = await reader.nextRaw()) !== null; ) {
      let end = rec.length
      if (end && rec[end - 1] === 10) end--
      if (end && rec[end - 1] === 13) end--
      let line = rec.subarray(0, end)
      let restText = ''
      if (split) {
        let k = line.findIndex((c) => c === 32 || c === 9)
        if (k >= 0) {
          const nameEnd = k
          while (k < line.length && (line[k] === 32 || line[k] === 9)) k++
          restText = line.subarray(k).toString('latin1')
          line = line.subarray(0, nameEnd)
        }
      }
      const input = line.toString('latin1')
      let oid = null
      try {
        oid = repo.revParseSync(line.toString('utf8'))
      } catch (e) {
        if (!(e instanceof GitError) || HARD_ERRORS.has(e.code)) throw e
        if (e.code === 'ERR_AMBIGUOUS_OID') {
          write(Buffer.from(`${input} ambiguous\n`, 'latin1'))
          continue
        }
      }
      if (oid === null || !repo.hasObject(oid)) {
        write(Buffer.from(`${input} missing\n`, 'latin1'))
        continue
      }
      const h = repo.objectHeaderSync(oid)
      let text = ''
      for (const p of parts) {
        if (typeof p === 'string') text += p
        else if (p.atom === 'objectname') text += oid
        else if (p.atom === 'objecttype') text += h.type
        else if (p.atom === 'objectsize') text += h.size
        else text += restText
      }
      if (batch.kind === 'check') {
        write(Buffer.from(`${text}\n`, 'latin1'))
        continue
      }
      const obj = repo.readObjectSync(oid)
      write(Buffer.concat([Buffer.from(`${text}\n`, 'latin1'), obj.type === 'blob' ? obj.content() : obj.raw(), Buffer.from('\n')]))
    }
  } finally {
    if (chunks.length) process.stdout.write(Buffer.concat(chunks))
    process.stdin.destroy()
  }
}

// --- hash-object -----------------------------------------------------------------

const HASH_OBJECT_USAGE = `usage: ferrogit hash-object [-t <type>] [--path=<file> | --no-filters]
                           [--stdin [--literally]] [--] <file>...
   or: ferrogit hash-object [-t <type>] --stdin-paths [--no-filters]
`

/** Node's error code as the strerror text git prints. */
const STRERROR = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
}

/**
 * git hash-object [-w]: the id of each file's content (-w: stored as a blob) (no filters: the content as it is
 * on disk), of stdin with --stdin (first), of the files named on stdin with --stdin-paths.
 */
async function hashObjectCmd(cwd, args) {
  let type = 'blob'
  let write = false
  let stdin = false
  let stdinPaths = false
  let literally = false
  const files = parseOptions(
    args,
    [
      { long: 't', short: 't', kind: 'string', hidden: true, noNegate: true, set: (v) => (type = v) },
      { long: 'w', short: 'w', kind: 'bool', hidden: true, set: (v, neg) => (write = !neg) },
      { long: 'stdin', kind: 'bool', set: (v, neg) => (stdin = !neg) },
      { long: 'stdin-paths', kind: 'bool', set: (v, neg) => (stdinPaths = !neg) },
      { long: 'literally', kind: 'bool', set: (v, neg) => (literally = !neg) },
      { long: 'filters', kind: 'bool', set: () => {} },
      { long: 'path', kind: 'string', set: () => {} },
    ],
    HASH_OBJECT_USAGE,
  )
  if (write && type !== 'blob') die(`ferrogit hash-object: -w -t ${type} is not supported (blobs only)`, 129)
  if (stdinPaths) {
    if (stdin) usageError("Can't use --stdin-paths with --stdin", HASH_OBJECT_USAGE)
    if (files.length) usageError("Can't specify files with --stdin-paths", HASH_OBJECT_USAGE)
  }
  const known = ['blob', 'tree', 'commit', 'tag'].includes(type)
  if (!literally && !known) die(`invalid object type "${type}"`)
  if (!literally && type !== 'blob') die(`ferrogit hash-object: -t ${type} needs --literally (objects are not checked here)`)
  let repo = null
  try {
    repo = openRepo(cwd)
  } catch (e) {
    if (!(e instanceof GitError && e.code === 'ERR_NOT_A_REPOSITORY')) throw e
  }
  const crypto = require('node:crypto')
  const algo = repo && repo.hashObject('blob', '').length === 64 ? 'sha256' : 'sha1'
  if (write && !repo) die('not a git repository (or any of the parent directories): .git')
  const hash = (data) => {
    if (write) return repo.writeBlobSync(data)
    if (repo && known) return repo.hashObject(type, data)
    return crypto.createHash(algo).update(Buffer.from(`${type} ${data.length}\0`, 'latin1')).update(data).digest('hex')
  }
  const readFile = (f) => {
    try {
      return fs.readFileSync(path.resolve(cwd, f))
    } catch (e) {
      if (e.code === 'EISDIR') die(`Unable to hash ${f}`)
      die(`could not open '${f}' for reading: ${STRERROR[e.code] ?? e.message}`)
    }
  }
  if (stdin) emit(`${hash(fs.readFileSync(0))}\n`)
  for (const f of files) emit(`${hash(readFile(f))}\n`)
  if (stdinPaths) {
    const reader = new RecordReader(process.stdin, 10)
    try {
      for (let rec; (rec = await reader.next()) !== null; ) {
        let name = rec.endsWith('\n') ? rec.slice(0, -1) : rec
        if (name.startsWith('"')) {
          const u = unquoteC(name, 0)
          if (!u || u.end !== name.length) die(`line is badly quoted: ${name}`)
          name = u.value
        }
        emit(`${hash(readFile(name))}\n`)
      }
    } finally {
      process.stdin.destroy()
    }
  }
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
    case 'rev-list':
      return revList(cwd, args)
    case 'ls-tree':
      return lsTree(cwd, args)
    case 'diff-tree':
      return diffTree(cwd, args)
    case 'merge-base':
      return mergeBase(cwd, args)
    case 'hash-object':
      return hashObjectCmd(cwd, args)
    case 'cat-file':
      if (args.some((a) => a.startsWith('--batch'))) return catFileBatch(cwd, args)
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
    case 'clone':
      return clone(cwd, args)
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

// --- clone ----------------------------------------------------------------------

const CLONE_USAGE = 'usage: ferrogit clone [--bare] [--filter=<spec>] [--depth=<n>] [-b <branch>] [-q] [--[no-]progress] <url> [<dir>]\n'

/** The directory git clone picks for `url`: its last path component without `.git` (plus `.git` when bare). */
function cloneDirFor(url, bare) {
  let s = url.replace(/\/+$/, '').replace(/\/\.git$/, '')
  s = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf(':')) + 1).replace(/\.git$/, '') || 'repo'
  return bare ? `${s}.git` : s
}

function humanBytes(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(2)} KiB`
  return `${n} bytes`
}

/** A progress display on stderr: one line per phase, rewritten in place, as git shows it. */
function progressDisplay() {
  let phase = null
  let last = ''
  const names = { enumerating: 'Enumerating objects', counting: 'Counting objects', compressing: 'Compressing objects', receiving: 'Receiving objects', indexing: 'Resolving objects', checkout: 'Updating files' }
  const line = (p) => {
    const name = names[p.phase] ?? p.phase
    if (p.phase === 'receiving') return `${name}: ${humanBytes(p.bytes)}`
    if (p.total) return `${name}: ${String(Math.floor((p.done * 100) / p.total)).padStart(3)}% (${p.done}/${p.total})`
    return `${name}: ${p.done}`
  }
  return {
    update(p) {
      if (phase !== null && p.phase !== phase) process.stderr.write(`${last}, done.\n`)
      phase = p.phase
      last = line(p)
      process.stderr.write(`${last}\r`)
    },
    end() {
      if (phase !== null) process.stderr.write(`${last}, done.\n`)
    },
  }
}

async function clone(cwd, args) {
  const opts = {}
  let quiet = false
  let progress = process.stderr.isTTY === true
  const rest = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const value = (name) => {
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1)
      if (i + 1 >= args.length) usageError(`option '${name}' requires a value`, CLONE_USAGE)
      return args[++i]
    }
    if (a === '--bare') opts.bare = true
    else if (a === '-q' || a === '--quiet') quiet = true
    else if (a === '--progress') progress = true
    else if (a === '--no-progress') progress = false
    else if (a === '--filter' || a.startsWith('--filter=')) opts.filter = value('--filter')
    else if (a === '--depth' || a.startsWith('--depth=')) {
      const v = value('--depth')
      const n = Number(v)
      if (!/^[0-9]+$/.test(v) || n < 1) die(`depth ${v} is not a positive number`)
      opts.depth = n
    } else if (a === '-b' || a === '--branch' || a.startsWith('--branch=')) opts.branch = value(a === '-b' ? '-b' : '--branch')
    else if (a === '--') rest.push(...args.slice(i + 1)), (i = args.length)
    else if (a.startsWith('-') && a !== '-') usageError(`unknown option '${a}'`, CLONE_USAGE)
    else rest.push(a)
  }
  if (rest.length < 1 || rest.length > 2) usageError('You must specify a repository to clone.', CLONE_USAGE)
  const [url] = rest
  const dir = rest[1] ?? cloneDirFor(url, opts.bare)
  const dest = path.resolve(cwd, dir)
  if (fs.existsSync(dest) && fs.readdirSync(dest).length > 0) die(`destination path '${dir}' already exists and is not an empty directory.`)
  // A local path is resolved as git does, against the current directory.
  const source = /^[a-z]+:\/\//.test(url) ? url : path.resolve(cwd, url)
  if (!quiet) process.stderr.write(opts.bare ? `Cloning into bare repository '${dir}'...\n` : `Cloning into '${dir}'...\n`)
  const display = progress && !quiet ? progressDisplay() : null
  if (display) opts.onProgress = (p) => display.update(p)
  try {
    await Repository.clone(source, dest, opts)
  } finally {
    display?.end()
  }
}

async function run() {
  // A reader that goes away (`| head`) ends the command quietly, as SIGPIPE ends git.
  process.stdout.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e
    process.exit(141)
  })
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
