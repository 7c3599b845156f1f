// Command dwdump captures the kernel's packet drop alerts (NET_DM packet
// mode) to a pcap file that Wireshark decodes: a Go rewrite of dwdump from
// nhorman/dropwatch 1.5.4, with the same options, output and exit codes.
package main

import "os"

func main() {
	os.Exit(newApp().run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
