package counters

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDropsAndErrors(t *testing.T) {
	c := func(class Class, name string) Change { return Change{Counter: Counter{Name: name}, Class: class} }
	all := []Change{c(ClassDrop, "a"), c(ClassError, "b"), c(ClassTraffic, "c"), c(ClassOther, "d")}
	for _, tt := range []struct {
		in   []Change
		want []string
	}{
		{all, []string{"a", "b"}},
		{all[:2], []string{"a", "b"}},
		{all[2:], nil},
		{nil, nil},
	} {
		var got []string
		for _, ch := range DropsAndErrors(tt.in) {
			got = append(got, ch.Name)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("DropsAndErrors(%v) (-want +got):\n%s", tt.in, diff)
		}
	}
	// The result is a prefix that appending to must not overwrite.
	got := append(DropsAndErrors(all), c(ClassDrop, "x"))
	if all[2].Name != "c" || len(got) != 3 {
		t.Errorf("appending to the result changed its input: %v", all)
	}
}

func TestNeedPrivileges(t *testing.T) {
	perm := &SourceError{Source: Ethtool, Object: "eth0", Err: fmt.Errorf("ioctl: %w", os.ErrPermission)}
	missing := &SourceError{Source: SNMP, Path: "/proc/net/snmp6", Err: os.ErrNotExist}
	bad := &SourceError{Source: Softnet, Err: errors.New("x")}
	got := NeedPrivileges([]*SourceError{missing, perm, bad})
	if len(got) != 1 || got[0] != perm {
		t.Errorf("NeedPrivileges = %v, want only %v", got, perm)
	}
}
