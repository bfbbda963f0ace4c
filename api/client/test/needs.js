// devDependency tells whether a dev dependency is installed (`make client-deps` runs npm ci).
// Without it a test is skipped, unless CI is set: then it fails, as the browser tests do.

import { existsSync } from 'node:fs'

export function devDependency(t, name) {
  if (existsSync(new URL(`../node_modules/${name}/package.json`, import.meta.url))) return true
  const why = `${name} is not installed in api/client/node_modules (run \`make client-deps\`, which is npm ci)`
  if (process.env.CI) throw new Error(`${why}: CI is set, so this fails instead of skipping`)
  t.skip(why)
  return false
}
