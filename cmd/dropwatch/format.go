package main

// The C dropwatch 1.5.4's messages, prompt and help text, so that a script
// written against the C tool's output parses ours. The strings and printf
// formats are those of nhorman/dropwatch src/main.c. Its alert lines and the
// replies to "show" and "stats" are in internal/report/ctext.go; the texts
// dropwatch adds (hints, errors of its own) are in explain.go.

import "github.com/dropwatch-go/dropwatch/internal/repl"

const prompt = "dropwatch> "

// Messages of the C tool's state machine, printed on stdout.
const (
	msgNullLookup     = "Initializing null lookup method"
	msgKallsymsLookup = "Initializing kallsyms db"
	msgNoFamily       = "Unable to find NET_DM family, dropwatch can't work"
	msgSocketCleanup  = "Cleaning up on socket creation error"
	msgEnabling       = "Enabling monitoring..."
	msgActivated      = "Kernel monitoring activated."
	msgIssueCtrlC     = "Issue Ctrl-C to stop monitoring"
	msgDeactivating   = "Deactivation requested, turning off monitoring"
	msgGotStop        = "Got a stop message"
	msgLimitReached   = "Alert limit reached, deactivating!"
	msgSettingMode    = "Setting alert mode"
	msgModeSet        = "Alert mode successfully set"
	msgTruncSet       = "Truncation length successfully set"
	msgQueueSet       = "Queue length successfully set"
	msgGettingConfig  = "Getting existing configuration"
	msgGettingStats   = "Getting statistics"
	msgTerminating    = "Terminating dropwatch..."
	msgShuttingDown   = "Shutting down ..."
	fmtUnknownMethod  = "Unknown lookup method %s\n"
	fmtAlertLimit     = "setting alert capture limit to %d\n"
	fmtSettingTrunc   = "Setting truncation length to %d\n"
	fmtSettingQueue   = "Setting queue length to %d\n"
	fmtSettingSource  = "setting %s drops monitoring to %d\n"
	fmtStartFailed    = "Failed activation request, error: %s\n"
	fmtStopFailed     = "Stop request failed, error: %s\n"
	fmtConfigFailed   = "Failed config request, error: %s\n"
	lookupMethodsList = "Available lookup methods:\nkas - use /proc/kallsyms\nnone - print raw addresses (the default)\n"
	helpColumn        = 32 // the C help text tabs every description to column 32
	helpTabWidth      = 8
	helpHeader        = "Command Syntax:\n"
)

// Failures the C tool reports with perror(3), on stderr. The C tool's
// "show" and "stats" hang when the kernel answers with an error; dropwatch
// reports the error with the text of the corresponding send failure.
const (
	fmtGetConfigFailed = "Failed to get existing configuration: %s\n"
	fmtGetStatsFailed  = "Failed to get statistics: %s\n"
	fmtReceiveFailed   = "Receive operation failed:: %s\n"
)

// helpFormat is the C help text's layout, which dropwatch's help follows
// byte for byte: every " - description" tabbed to column 32.
var helpFormat = repl.HelpFormat{Header: helpHeader, Column: helpColumn, TabWidth: helpTabWidth}

// Texts dropwatch adds to the C tool's messages (its hints on stderr are
// internal/report/hints.go).

const noteStackNeedsTracepoint = "dropwatch: --stack needs the tracepoint backend (NET_DM alerts carry no call chain): use --backend tracepoint --stack; no stacks will be printed"

// fmtTracepointLost is "stats" on the tracepoint backend: the samples the
// perf ring buffers could not hold during the last monitoring.
const fmtTracepointLost = "Tracepoint statistics:\nLost samples: %d\n"

// What start says under --passive, instead of the C tool's "Enabling
// monitoring..." and "Kernel monitoring activated.", on stdout.
const (
	msgListening        = "Listening for drop alerts without starting monitoring (--passive)"
	msgIssueCtrlCListen = "Issue Ctrl-C to stop listening"
	msgStoppedListening = "Stopped listening; the kernel's monitoring is left as it was"
)

const noteNeitherSource = "note: with neither sw nor hw set to true, START carries no flag and the kernel monitors software drops"
