// index.d.ts against what index.js exports: every export is declared, and the
// hand-written declarations (src/js/header.d.ts) made it into the file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { spawnSync } from 'node:child_process'

const require = createRequire(import.meta.url)
const api = require('../index.js')
const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')

const declared = (name) => new RegExp(`^export (?:declare )?(?:class|function|const|type|interface) ${name}\\b`, 'm').test(dts)

test('every export of index.js is declared in index.d.ts', () => {
  const names = Object.keys(api).filter((n) => n !== '__napiBindingTarget')
  assert.ok(names.length > 5)
  for (const n of names) {
    assert.ok(!n.startsWith('__'), `internal ${n} is exported`)
    assert.equal(typeof api[n], 'function', `${n} is a class or function`)
    assert.ok(declared(n), `${n} is declared in index.d.ts`)
  }
})

test('the header declarations are in index.d.ts, and no internal class', () => {
  for (const n of ['GitError', 'Commit', 'Signature', 'ErrorCode', 'TreeEntry', 'RepoStats', 'LogOptions']) {
    assert.ok(declared(n), `${n} is declared in index.d.ts`)
  }
  assert.doesNotMatch(dts, /\b__Source\b/)
})

test('index.d.ts compiles under tsc --strict with the public API used as documented', () => {
  const tsc = new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname
  const usage = new URL('./fixtures/types-usage.ts', import.meta.url).pathname
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'commonjs', '--lib', 'es2022,dom', '--types', 'node', usage], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stdout + r.stderr)
})
