// The React test app's entry: the test's instrumentation first (it wraps WebSocket before any
// client exists), then the app under StrictMode, whose double effects must still leave one socket.

import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { installE2E } from './e2e'

installE2E()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
