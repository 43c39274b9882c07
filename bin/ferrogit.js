#!/usr/bin/env node
'use strict'
// ferrogit's command line: a few git plumbing commands whose output matches
// git's byte for byte, built on the library (no git process is spawned).
//
//   ferrogit [-C <path>] log [-n <N>] [--oneline] [<repo>] [<rev>...]
//   ferrogit [-C <path>] cat-file (-p | -t | -s | -e | <type>) <rev>
//   ferrogit [-C <path>] rev-parse <rev>...
const path = require('node:path')
const fs = require('node:fs')
const { Repository, GitError } = require('..')

const USAGE = `usage: ferrogit [-C <path>] <command> [<args>]

commands:
  log [-n <N>] [--oneline] [<repo>] [<rev>...]   one line per commit, as git log --oneline
  cat-file (-p | -t | -s | -e | <type>) <rev>    show an object, as git cat-file
  rev-parse <rev>...                             print object ids, as git rev-parse
`

function die(message, code = 128) {
  process.stderr.write(`fatal: ${message}\n`)
  process.exit(code)
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

try {
  main(process.argv.slice(2))
} catch (e) {
  if (e instanceof GitError) die(`${e.message} [${e.code}]`)
  throw e
}
