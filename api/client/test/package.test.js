// The npm package as a frontend gets it: `npm pack`, unpacked into a project of its own (no
// backend checkout around it), imported by its exports and type-checked with tsc --strict.
// Needs npm and the dev dependencies (`make client-deps`); nothing is downloaded.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { PROTOCOL_VERSION } from '../events.js'
import { devDependency } from './needs.js'

const here = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'))

test('package.json: publishable, versioned with the protocol, React pieces as optional peers', () => {
  assert.equal(pkg.private, undefined, 'not private: npm pack and publish work')
  assert.equal(pkg.version.split('.').slice(0, 2).join('.'), PROTOCOL_VERSION.split('.').slice(0, 2).join('.'),
    `version ${pkg.version} follows protocol ${PROTOCOL_VERSION} (same major.minor)`)
  assert.equal(pkg.type, 'module')
  for (const peer of ['react', '@tanstack/react-query']) {
    assert.ok(pkg.peerDependencies[peer], `${peer} is a peer dependency`)
    assert.equal(pkg.peerDependenciesMeta[peer].optional, true, `${peer} is optional: the plain client needs no React`)
  }
  assert.deepEqual(pkg.dependencies, undefined, 'no runtime dependency')
})

test('npm pack gives a tarball a frontend installs and uses by itself', (t) => {
  if (!devDependency(t, 'typescript') || !devDependency(t, 'react-dom')) return
  const dir = mkdtempSync(join(tmpdir(), 'wso-pack-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const out = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
  const files = out[0].files.map((f) => f.path).sort()

  // Every export is in the tarball, and nothing of the checkout (tests, node_modules) is.
  for (const [name, target] of Object.entries(pkg.exports)) {
    for (const path of typeof target === 'string' ? [target] : Object.values(target)) {
      assert.ok(files.includes(path.replace(/^\.\//, '')), `export ${name} -> ${path} is packed`)
    }
  }
  assert.deepEqual(files.filter((f) => f.startsWith('test/') || f.includes('node_modules') || f.endsWith('.go')), [])
  // Every relative import of a packed file is packed; bare imports are the peers only.
  let checked = 0
  for (const f of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
    const src = readFileSync(join(here, f), 'utf8')
    const statements = /^(?:import|export)(?:\s+type)?\s*(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?|\w+(?:\s*,\s*\{[^}]*\})?)\s*from\s*'([^']+)'|^import\s*'([^']+)'/gm
    for (const m of src.matchAll(statements)) {
      const spec = m[1] ?? m[2]
      checked++
      if (spec.startsWith('.')) {
        const resolved = join(f, '..', spec).replace(/\\/g, '/')
        const candidates = [resolved, resolved.replace(/\.js$/, '.d.ts')]
        assert.ok(candidates.some((c) => files.includes(c)), `${f} imports ${spec}, which is not packed`)
      } else {
        assert.ok(['react', '@tanstack/react-query'].includes(spec), `${f} imports ${spec}, which is not a peer dependency`)
      }
    }
  }

  assert.ok(checked >= 10, `only ${checked} imports found in the packed files: is the pattern still right?`)

  // A project of its own: the tarball unpacked as npm would install it, and its peers.
  const app = join(dir, 'app')
  const installed = join(app, 'node_modules', '@workspaceops', 'realtime')
  mkdirSync(installed, { recursive: true })
  execFileSync('tar', ['-xzf', join(dir, out[0].filename), '-C', installed, '--strip-components=1'])
  for (const dep of ['react', 'react-dom', 'scheduler', '@tanstack', '@types', 'csstype']) {
    mkdirSync(join(app, 'node_modules', dep, '..'), { recursive: true })
    symlinkSync(join(here, 'node_modules', dep), join(app, 'node_modules', dep))
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  writeFileSync(join(app, 'main.mjs'), `
    import { createElement as h } from 'react'
    import { renderToString } from 'react-dom/server'
    import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
    import { connect } from '@workspaceops/realtime'
    import { RealtimeProvider, useRealtimeStatus, workspaceKeys } from '@workspaceops/realtime/react'
    import { workspaceKeys as serverKeys } from '@workspaceops/realtime/keys'
    import { EVENT_NAMES } from '@workspaceops/realtime/events'
    function S() { return h('b', null, useRealtimeStatus()) }
    const html = renderToString(h(QueryClientProvider, { client: new QueryClient() },
      h(RealtimeProvider, { url: 'https://api.example.com', getToken: () => null }, h(S))))
    console.log(JSON.stringify([typeof connect, html, workspaceKeys('w').overview, serverKeys('w').all, EVENT_NAMES.length]))
  `)
  const ran = execFileSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' })
  assert.deepEqual(JSON.parse(ran), ['function', '<b>offline</b>', ['workspace', 'w', 'overview'], ['workspace', 'w'], 22])

  // Its types, through its exports, under tsc --strict.
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], module: 'ESNext', moduleResolution: 'Bundler', jsx: 'react-jsx', skipLibCheck: false, types: [] },
    include: ['app.tsx'],
  }))
  writeFileSync(join(app, 'app.tsx'), `
    import { RealtimeProvider, useRealtimeEvent } from '@workspaceops/realtime/react'
    export function Live() {
      useRealtimeEvent('work-item:status-changed', (data) => console.log(data.from, data.to))
      return <RealtimeProvider url="https://api.example.com" getToken={() => null}>live</RealtimeProvider>
    }
  `)
  try {
    execFileSync(process.execPath, [join(here, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { encoding: 'utf8' })
  } catch (err) {
    assert.fail(`tsc on a project using the packed package:\n${err.stdout}${err.stderr}`)
  }
})
