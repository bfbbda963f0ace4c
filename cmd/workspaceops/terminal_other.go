//go:build !(linux || darwin)

package main

// takeTerminal does nothing where process groups are not managed this way.
func takeTerminal() (giveBack func()) { return func() {} }
