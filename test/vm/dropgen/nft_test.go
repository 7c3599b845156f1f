package dropgen

import "testing"

func TestNftCounterPackets(t *testing.T) {
	// nft 1.0.6's output for a table with one "udp dport 9 counter drop" rule.
	const list = `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "ip", "name": "t", "handle": 1}}, {"chain": {"family": "ip", "table": "t", "name": "in", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}, {"rule": {"family": "ip", "table": "t", "chain": "in", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 9}}, {"counter": {"packets": 11, "bytes": 924}}, {"drop": null}]}}]}`
	if n, err := NftCounterPackets([]byte(list)); err != nil || n != 11 {
		t.Errorf("NftCounterPackets = %d, %v; want 11", n, err)
	}
	for _, bad := range []string{``, `{"nftables": []}`, `{"nftables": [{"rule": {"expr": [{"counter": {"packets": "x"}}]}}]}`} {
		if n, err := NftCounterPackets([]byte(bad)); err == nil {
			t.Errorf("NftCounterPackets(%q) = %d, want an error", bad, n)
		}
	}
}
