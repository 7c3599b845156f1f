package dropgen

import (
	"encoding/json"
	"errors"
	"fmt"
)

// NftCounterPackets returns the packets of the first counter expression of
// a ruleset as "nft -j list ruleset" prints it (libnftables' JSON schema,
// libnftables-json(5)): the kernel's own count of what a rule matched.
func NftCounterPackets(listJSON []byte) (uint64, error) {
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Expr []map[string]json.RawMessage `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(listJSON, &doc); err != nil {
		return 0, fmt.Errorf("nft -j list ruleset: %w", err)
	}
	for _, o := range doc.Nftables {
		if o.Rule == nil {
			continue
		}
		for _, e := range o.Rule.Expr {
			if raw, ok := e["counter"]; ok {
				var c struct{ Packets uint64 }
				if err := json.Unmarshal(raw, &c); err != nil {
					return 0, fmt.Errorf("nft -j list ruleset: counter: %w", err)
				}
				return c.Packets, nil
			}
		}
	}
	return 0, errors.New("nft -j list ruleset: no counter in the ruleset")
}
