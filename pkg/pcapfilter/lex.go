package pcapfilter

import (
	"net"
	"net/netip"
	"strings"
)

type tokKind uint8

const (
	tEOF  tokKind = iota
	tWord         // keyword, name, number, address, range like 50-60
	tOp           // punctuation and operators
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func isWordStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '\\'
}

func isWordByte(c byte) bool {
	return isWordStart(c) || c == '.' || c == '-' || c == ':'
}

// lex splits expr into tokens. A word runs over letters, digits and
// "_.-:", as libpcap's scanner lets names and addresses do; a colon stays
// in a word only when the word is an IPv6 or MAC address, so that
// "ether[12:2]" splits at the colon.
func lex(expr string) ([]token, error) {
	var toks []token
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isWordStart(c) || c == ':' && i+1 < len(expr) && expr[i+1] == ':':
			j := i
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			w := expr[i:j]
			if k := strings.IndexByte(w, ':'); k >= 0 && !isColonAddr(w) {
				w = w[:k]
			}
			for len(w) > 1 && (w[len(w)-1] == '-' || w[len(w)-1] == '.') && !isColonAddr(w) {
				// A word never ends in - or . (libpcap's scanner agrees).
				w = w[:len(w)-1]
			}
			if w == "" {
				// "::" not starting an address: the colon operator.
				toks = append(toks, token{tOp, ":", i})
				i++
				continue
			}
			toks = append(toks, token{tWord, w, i})
			i += len(w)
		default:
			op := ""
			for _, o := range []string{"&&", "||", "!=", "==", "<=", ">=", "<<", ">>"} {
				if strings.HasPrefix(expr[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if !strings.ContainsRune("()[]:!&|^+-*/%<>=", rune(c)) {
					return nil, &Error{Expr: expr, Pos: i, Msg: "unexpected character " + quoteByte(c)}
				}
				op = expr[i : i+1]
			}
			toks = append(toks, token{tOp, op, i})
			i += len(op)
		}
	}
	toks = append(toks, token{tEOF, "", len(expr)})
	return toks, nil
}

// isColonAddr reports whether a word with a colon is an IPv6 address
// (optionally with a /len that the lexer does not include anyway) or a MAC
// address.
func isColonAddr(w string) bool {
	if a, err := netip.ParseAddr(w); err == nil && a.Is6() && a.Zone() == "" {
		return true
	}
	if hw, err := net.ParseMAC(w); err == nil && len(hw) == 6 {
		return true
	}
	return false
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(c) + "'"
	}
	const hex = "0123456789abcdef"
	return "0x" + string([]byte{hex[c>>4], hex[c&0xf]})
}
