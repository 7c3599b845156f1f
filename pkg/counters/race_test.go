//go:build race

package counters

// raceEnabled is true in a -race build, whose instrumentation makes the
// timing of a snapshot meaningless and each one several times slower.
const raceEnabled = true
