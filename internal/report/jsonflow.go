package report

import (
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// jsonFlow is a packet's decoded flow (JSON.md, "flow"). Fields of layers
// the decoding did not reach are left out.
type jsonFlow struct {
	jsonKey
	TCPFlags  string  `json:"tcp_flags,omitempty"`
	ICMPType  *uint8  `json:"icmp_type,omitempty"`
	ICMPCode  *uint8  `json:"icmp_code,omitempty"`
	ARPOp     *uint16 `json:"arp_op,omitempty"`
	Fragment  bool    `json:"fragment,omitempty"`
	Depth     string  `json:"depth,omitempty"`
	Truncated bool    `json:"truncated,omitempty"`
}

// set fills j from f, pointing into f.
func (j *jsonFlow) set(f *flow.Flow) { // f: the writer's own copy
	*j = jsonFlow{Fragment: f.Fragment, Truncated: f.Truncated}
	if f.Depth >= flow.DepthLink {
		j.Depth = f.Depth.String()
		j.EtherType = &f.EtherType
	}
	if f.Tagged {
		j.VLAN = &f.VLAN
	}
	if f.Src.IsValid() {
		j.Src, j.Dst = f.Src.String(), f.Dst.String()
	}
	if f.EtherType == flow.EtherTypeARP {
		if f.ARPOp != 0 {
			j.ARPOp = &f.ARPOp
		}
		return
	}
	if !f.Src.IsValid() {
		return
	}
	j.IPProto = &f.Proto
	transport := f.Depth == flow.DepthTransport || f.Truncated
	switch {
	case f.Fragment:
	case f.Proto == flow.ProtoTCP || f.Proto == flow.ProtoUDP:
		if transport && (f.Depth == flow.DepthTransport || f.SrcPort != 0 || f.DstPort != 0) {
			j.SrcPort, j.DstPort = &f.SrcPort, &f.DstPort
		}
		if f.Proto == flow.ProtoTCP && f.Depth == flow.DepthTransport {
			var b [8]byte
			j.TCPFlags = string(flow.AppendTCPFlags(b[:0], f.TCPFlags))
		}
	case f.Proto == flow.ProtoICMP || f.Proto == flow.ProtoICMPv6:
		if transport && (f.Depth == flow.DepthTransport || f.ICMPType != 0 || f.ICMPCode != 0) {
			j.ICMPType, j.ICMPCode = &f.ICMPType, &f.ICMPCode
		}
	}
}

// jsonKey is a flow.Key in a final row grouped by flow, and the first
// fields of a jsonFlow.
type jsonKey struct {
	EtherType *uint16 `json:"ethertype,omitempty"`
	VLAN      *uint16 `json:"vlan,omitempty"`
	Src       string  `json:"src,omitempty"`
	Dst       string  `json:"dst,omitempty"`
	IPProto   *uint8  `json:"ip_proto,omitempty"`
	SrcPort   *uint16 `json:"src_port,omitempty"`
	DstPort   *uint16 `json:"dst_port,omitempty"`
}

func newJSONKey(k *flow.Key) *jsonKey {
	j := &jsonKey{}
	if k.EtherType != 0 {
		j.EtherType = &k.EtherType
	}
	if k.Tagged {
		j.VLAN = &k.VLAN
	}
	if k.Src.IsValid() {
		j.Src, j.Dst = k.Src.String(), k.Dst.String()
		if k.EtherType != flow.EtherTypeARP {
			j.IPProto = &k.Proto
		}
		if (k.Proto == flow.ProtoTCP || k.Proto == flow.ProtoUDP) && (k.SrcPort != 0 || k.DstPort != 0) {
			j.SrcPort, j.DstPort = &k.SrcPort, &k.DstPort
		}
	}
	return j
}

type jsonGroupRow struct {
	Flow      *jsonKey `json:"flow,omitempty"`
	Reason    *string  `json:"reason,omitempty"`
	Interface *string  `json:"interface,omitempty"`
	Comm      *string  `json:"comm,omitempty"`
	Other     bool     `json:"other,omitempty"`
	Count     uint64   `json:"count"`
	Share     float64  `json:"share"`
}

type jsonGroupFinal struct {
	Type            string         `json:"type"`
	DurationSeconds float64        `json:"duration_seconds"`
	Total           uint64         `json:"total"`
	By              string         `json:"by"`
	Rows            []jsonGroupRow `json:"rows"`
	Losses          Losses         `json:"losses"`
}

// FinalGroups writes the final line of a session whose table is grouped
// by by (not BySite): as Final, with "by" and rows of that grouping.
//
//	{"type":"final","duration_seconds":10.5,"total":4,"by":"flow","rows":[{"flow":{"ethertype":2048,"src":"192.0.2.1","dst":"192.0.2.2","ip_proto":17,"src_port":40000,"dst_port":53},"count":4,"share":1}],"losses":{...}}
func (j *JSONWriter) FinalGroups(d time.Duration, by Group, rows []GroupRow, total uint64, l Losses) error {
	f := jsonGroupFinal{
		Type: typeFinal, DurationSeconds: d.Seconds(), Total: total, By: by.String(),
		Rows: make([]jsonGroupRow, len(rows)), Losses: l,
	}
	for i := range rows {
		r, o := &rows[i], &f.Rows[i]
		o.Count, o.Share, o.Other = r.Count, r.Share, r.Other
		if r.Other {
			continue
		}
		switch by {
		case ByFlow:
			o.Flow = newJSONKey(&r.Flow)
		case ByReason:
			o.Reason = &r.Name
		case ByInterface:
			o.Interface = &r.Name
		case ByComm:
			o.Comm = &r.Name
		}
	}
	return j.enc.Encode(&f)
}
