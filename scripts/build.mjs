// Builds the addon with the napi CLI and regenerates index.d.ts with our header.
// Usage: node scripts/build.mjs [--debug]
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const header = readFileSync(join(root, 'src/js/header.d.ts'), 'utf8')
const args = ['napi', 'build', '--platform', '--js', 'binding.js', '--dts', 'index.d.ts', '--no-dts-header', '--dts-header', header]
if (!process.argv.includes('--debug')) args.push('--release')
const r = spawnSync('npx', args, { cwd: root, stdio: 'inherit' })
process.exit(r.status ?? 1)
