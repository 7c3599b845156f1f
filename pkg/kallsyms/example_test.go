package kallsyms_test

import (
	"fmt"
	"strings"

	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

func ExampleParse() {
	const text = "ffffffff820a7a70 T __udp4_lib_rcv\n" +
		"ffffffffc0a40010 T nf_conntrack_in\t[nf_conntrack]\n" +
		"ffffffffc0a4f000 r __func__.0\t[nf_conntrack]\n"
	tab, err := kallsyms.Parse(strings.NewReader(text))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, pc := range []uint64{0xffffffff820a8412, 0xffffffffc0a4006c, 0xffffffffc0a4f004} {
		if s, ok := tab.Lookup(pc); ok {
			fmt.Println(s)
		} else {
			fmt.Printf("location %#x\n", pc)
		}
	}
	// Output:
	// __udp4_lib_rcv+0x9a2
	// nf_conntrack_in+0x5c [nf_conntrack]
	// location 0xffffffffc0a4f004
}

func ExampleResolve() {
	const text = "ffffffffc0a4f000 r __func__.0\t[nf_conntrack]\n" +
		"ffffffffc0a40010 T nf_conntrack_in\t[nf_conntrack]\n" +
		"ffffffff820a7a70 T __udp4_lib_rcv\n"
	found, err := kallsyms.Resolve(strings.NewReader(text), 0xffffffff820a8412, 0xffffffffc0a4006c, 0xffffffffc0a4f004)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range found {
		if m.OK {
			fmt.Println(m.Symbol)
		} else {
			fmt.Println("not found")
		}
	}
	// Output:
	// __udp4_lib_rcv+0x9a2
	// nf_conntrack_in+0x5c [nf_conntrack]
	// not found
}
