module github.com/dropwatch-go/dropwatch/test/flows/gopcap-eval

go 1.26.0

require (
	github.com/gopacket/gopacket v1.7.7
	github.com/packetcap/go-pcap v0.0.0-20240528124601-8c87ecf5dbc5
	golang.org/x/net v0.63.0
)

require golang.org/x/sys v0.50.0 // indirect
