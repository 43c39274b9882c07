// Builds the addon with the napi CLI and regenerates index.d.ts with our header.
// Usage: node scripts/build.mjs [--debug]
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const header = readFileSync(join(root, 'src/js/header.d.ts'), 'utf8')
const args = ['napi', 'build', '--platform', '--js', 'binding.js', '--dts', 'index.d.ts', '--dts-header', header]
if (!process.argv.includes('--debug')) args.push('--release')
const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit' })
if (r.status === 0) {
  // Internal classes (named `__…`) cannot be left out by napi-rs itself: drop
  // each one (with its doc comment and the type alias napi-rs adds) here.
  const dts = join(root, 'index.d.ts')
  const out = []
  let skipping = false
  for (const line of readFileSync(dts, 'utf8').split('\n')) {
    if (skipping) {
      if (line === '}') skipping = false
      continue
    }
    if (/^export declare class __\w+ \{$/.test(line)) {
      skipping = true
      // Its doc comment, if any, is what was just kept: take it back.
      if (out.at(-1) === ' */') {
        while (out.length && !out.at(-1).startsWith('/**')) out.pop()
        out.pop()
      }
      continue
    }
    if (/^export type \w+ = __\w+$/.test(line)) continue
    out.push(line)
  }
  // Then what napi-rs cannot declare: statics index.js adds (a namespace merged with the class).
  const footer = readFileSync(join(root, 'src/js/footer.d.ts'), 'utf8')
  writeFileSync(dts, (out.join('\n') + footer).replace(/\n{3,}/g, '\n\n'))
}
process.exit(r.status ?? 1)
