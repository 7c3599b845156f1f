//go:build linux

package nlpcap

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// These talk to this machine's kernel: the controller family always
// exists, and generic netlink needs no privilege to be asked about it.

func TestFetchFamilyController(t *testing.T) {
	b, err := FetchFamily(context.Background(), "nlctrl")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFamilyMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != genlIDCtrl || f.Name != "nlctrl" {
		t.Errorf("got family %d %q, want %d \"nlctrl\"", f.ID, f.Name, genlIDCtrl)
	}
}

func TestFetchFamilyMissing(t *testing.T) {
	_, err := FetchFamily(context.Background(), "no such family!")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want one matching os.ErrNotExist", err)
	}
}

func TestFetchFamilyContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := FetchFamily(ctx, "nlctrl"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := FetchFamily(ctx, "nlctrl"); err == nil {
		t.Error("past deadline: no error")
	}
}
