package fetch

// DrainRetained is drainRetained for the external tests (the Dovecot ones).
var DrainRetained = drainRetained

// PoisonSlabs makes released slabs poisoned (filled with a fill byte) as
// long as the test runs: a reader that kept a view of a released message
// sees it changed. Not for parallel tests.
func PoisonSlabs(t interface{ Cleanup(func()) }) {
	poisonSlabs = true
	t.Cleanup(func() { poisonSlabs = false })
}
