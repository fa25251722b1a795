// Command bench runs facegate's benchmark drivers and prints their tables.
//
//	go run ./tests/bench <command> [flags]
//
// Each driver lives in its own file and registers itself in commands.
package main

import (
	"fmt"
	"os"
	"sort"
)

// commands maps a sub-command name to its driver. Drivers register in init.
var commands = map[string]func(args []string) error{}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: go run ./tests/bench <command> [flags]\ncommands: %v\n", names)
		os.Exit(2)
	}
	if err := commands[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
