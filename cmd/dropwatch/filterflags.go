package main

// The pcap-filter flags: --filter EXPR, --host A, --port N and the
// expression given as trailing arguments, as tcpdump takes it.

import (
	"strings"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
)

var filterOptions = []longOption{
	{Name: "filter", HasArg: true, Set: onceFlag("filter", func(o *options, arg string) error {
		o.exprFlag = append(o.exprFlag, arg)
		return nil
	}), Values: "a pcap-filter expression such as 'udp and dst port 53'"},
	{Name: "host", HasArg: true, Set: onceFlag("host", func(o *options, arg string) error {
		o.exprShort = append(o.exprShort, "host "+arg)
		return nil
	}), Values: "an IPv4 or IPv6 address"},
	{Name: "port", HasArg: true, Set: onceFlag("port", func(o *options, arg string) error {
		o.exprShort = append(o.exprShort, "port "+arg)
		return nil
	}), Values: "a port number"},
	{Name: "flows", Set: onceFlag("flows", func(o *options, _ string) error { o.flows = true; return nil })},
	{Name: "top-by", HasArg: true, Set: onceFlag("top-by", func(o *options, arg string) (err error) {
		o.topBy, err = report.ParseGroup(arg)
		if err != nil {
			err = usageErrorf("invalid --top-by '%s': %v", arg, err)
		}
		return err
	}), Values: "site, flow, reason, interface or comm"},
}

// filterExpr joins the filter flags into one expression
// (pcapfilter.Join): --host, --port, each --filter and the trailing
// arguments (one expression, as tcpdump takes them).
func (o *options) filterExpr() string {
	exprs := o.exprFlag[:len(o.exprFlag):len(o.exprFlag)]
	if len(o.exprArgs) > 0 {
		exprs = append(exprs, strings.Join(o.exprArgs, " "))
	}
	return pcapfilter.Join(o.exprShort, exprs)
}

// compileFilter compiles the filter flags' expression into o.filter; an
// expression pcapfilter cannot handle is a usage error that says why.
func (o *options) compileFilter() error {
	expr := o.filterExpr()
	if expr == "" {
		return nil
	}
	f, err := pcapfilter.Compile(expr)
	if err != nil {
		return usageErrorf("invalid filter expression: %v", err)
	}
	o.filter.Expr, o.filter.Links = f, &report.LinkTypes{}
	o.packetFilter("filter")
	return nil
}
