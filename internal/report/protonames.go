package report

// ProtoNames returns the protocol names ParseProto knows, in its order,
// for shell completion.
func ProtoNames() []string {
	names := make([]string, len(protoNames))
	for i, n := range protoNames {
		names[i] = n.name
	}
	return names
}
