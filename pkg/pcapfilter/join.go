package pcapfilter

import "strings"

// Join makes one expression of several, all of which a packet must match,
// as a command's filter flags give them (tcpdump's --host-like shorthands,
// then whole expressions): joined with "and", each expression in
// parentheses when there is more than one term, since "and" binds more
// tightly than "or" ("a or b" and "c" is "(a or b) and (c)"). A primitive
// ("host 10.0.0.1") needs none. Join of nothing is "".
func Join(primitives, exprs []string) string {
	parts := append([]string(nil), primitives...)
	for _, e := range exprs {
		if len(primitives)+len(exprs) > 1 {
			e = "(" + e + ")"
		}
		parts = append(parts, e)
	}
	return strings.Join(parts, " and ")
}
