package procs

import (
	"runtime"
	"testing"
)

func TestLimit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	cases := []struct {
		name, env string
		before    int
		want      int
	}{
		{"unset", "", 4, 1},
		{"set by the user", "3", 3, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMAXPROCS", tc.env)
			runtime.GOMAXPROCS(tc.before)
			if got := Limit(); got != tc.want {
				t.Errorf("Limit() = %d, want %d", got, tc.want)
			}
			if got := runtime.GOMAXPROCS(0); got != tc.want {
				t.Errorf("GOMAXPROCS after Limit = %d, want %d", got, tc.want)
			}
		})
	}
}
