package nlpcap

import "time"

// DefaultFetchTimeout bounds FetchFamily when its context has no deadline.
const DefaultFetchTimeout = 5 * time.Second
