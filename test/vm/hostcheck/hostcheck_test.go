package hostcheck

import "testing"

func TestCheckSymbols(t *testing.T) {
	const at = "__udp4_lib_rcv+0x545/0xdd0\n"
	tests := []struct {
		name    string
		out     string
		want    int
		wantErr string
	}{
		{name: "all", out: at + at + at, want: 3},
		{name: "none wanted", out: "", want: 0},
		{name: "one missing", out: at + at, want: 3, wantErr: "2 records decoded as NET_DM alerts with a symbol, want 3"},
		{name: "none decoded", out: "", want: 3, wantErr: "0 records decoded as NET_DM alerts with a symbol, want 3"},
		{name: "empty symbol", out: at + "\n", want: 2, wantErr: `records not at __udp4_lib_rcv: record 2: ""`},
		{name: "other function", out: "__udp4_lib_rcvx+0x1/0x2\n", want: 1, wantErr: `records not at __udp4_lib_rcv: record 1: "__udp4_lib_rcvx+0x1/0x2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSymbols(tt.out, tt.want, "__udp4_lib_rcv")
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("CheckSymbols = %q, want %q", got, tt.wantErr)
			}
		})
	}
}
